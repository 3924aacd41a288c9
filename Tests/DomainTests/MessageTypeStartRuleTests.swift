import Domain
import Foundation
import Testing

/// Who may start a conversation of a type: the sides the administrator ticked, and no one once it is retired.
@Suite struct MessageTypeStartRuleTests {
    static func rule(startedBy: Set<ConversationSide>, retired: Bool) -> MessageTypeRule {
        MessageTypeRule(
            id: MessageTypeID(UUID()), offersCareTeam: true, pools: [], allowsConfidentiality: true,
            allowsAttachments: true, startedBy: startedBy, retired: retired)
    }

    static let cases: [(Set<ConversationSide>, Bool, ConversationSide, Bool)] = [
        ([.patient, .proxy, .careTeam], false, .patient, true),
        ([.patient, .proxy, .careTeam], false, .proxy, true),
        ([.patient, .proxy, .careTeam], false, .careTeam, true),
        ([.patient], false, .proxy, false),
        ([.patient], false, .careTeam, false),
        ([.careTeam], false, .patient, false),
        ([.patient, .proxy, .careTeam], true, .patient, false),
        ([.patient, .proxy, .careTeam], true, .careTeam, false),
    ]

    @Test(arguments: cases)
    func aTypeMayBeStartedOnlyByTheSidesItNamesAndNeverOnceRetired(
        startedBy: Set<ConversationSide>, retired: Bool, side: ConversationSide, expected: Bool
    ) {
        #expect(Self.rule(startedBy: startedBy, retired: retired).mayStart(as: side) == expected)
    }

    @Test func aTypeByDefaultMayBeStartedByEveryone() {
        let rule = MessageTypeRule(
            id: MessageTypeID(UUID()), offersCareTeam: true, pools: [], allowsConfidentiality: true,
            allowsAttachments: true)
        #expect([ConversationSide.patient, .proxy, .careTeam].allSatisfy(rule.mayStart(as:)))
    }
}
