import Foundation
import Testing
import Vapor

@testable import App

/// Who may change which detail, and when (docs/messaging.md, "Edit"), tried by every actor over the API on
/// conversations started by each side.
@Suite struct EditRightsTests {
    enum Starter: String, CaseIterable, CustomTestStringConvertible {
        /// Alex, to Dr. Chen, unanswered.
        case patient
        /// Jordan for Alex, to Dr. Chen, unanswered.
        case proxy
        /// Alex, to Dr. Chen, answered by her.
        case answered
        /// Dr. Chen, to Alex.
        case careTeam

        var testDescription: String { rawValue }
    }

    /// (starter, editor, subject, recipient to Dr. Haddad, confidentiality on)
    static let table: [(Starter, String, UInt, UInt, UInt)] = [
        (.patient, "alex", 200, 200, 200),
        (.patient, "jordan", 403, 403, 403),
        (.patient, "mchen", 403, 403, 403),
        (.proxy, "alex", 200, 200, 200),
        (.proxy, "jordan", 200, 200, 422),
        (.proxy, "mchen", 403, 403, 403),
        (.answered, "alex", 200, 422, 200),
        (.answered, "jordan", 403, 403, 403),
        (.careTeam, "alex", 422, 422, 200),
        (.careTeam, "jordan", 403, 403, 403),
        (.careTeam, "mchen", 403, 403, 403),
    ]

    @Test(arguments: table)
    func eachActorMayChangeOnlyTheDetailsTheRulesGiveThem(
        starter: Starter, editor: String, subject: UInt, recipient: UInt, confidentiality: UInt
    ) async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids
            let chen = try await demo.client("mchen")
            let api = try await demo.client(editor)
            for (change, expected) in [
                (["subject": "Changed"] as [String: Any], subject),
                (["recipient": ids.provider("ohaddad")], recipient),
                (["confidential": true], confidentiality),
            ] {
                let id: UUID
                switch starter {
                case .patient, .answered:
                    id = try await demo.client("alex").start(ids.start("General Message", to: ids.provider("mchen")))
                    if starter == .answered { _ = try await chen.reply(id) }
                case .proxy:
                    id = try await demo.client("jordan").start(
                        ids.start("General Message", to: ids.provider("mchen"), patient: "alex"))
                case .careTeam:
                    id = try await chen.start(
                        ids.start("General Message", to: ids.provider("mchen"), patient: "alex"))
                }
                let reply = try await api.send(
                    .PATCH, "/conversations/\(id)", json: change, headers: ["If-Match": "\"1\""])
                #expect(reply.status.code == expected, "\(change.keys.first!)")
            }
        }
    }
}
