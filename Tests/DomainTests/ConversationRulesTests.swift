import Domain
import Testing

struct ConversationRulesTests {
    typealias Who = World.Who

    static let toChen = ConversationFacts(patientID: World.alex, recipient: .provider(World.chen), confidential: false)
    static let toChenConfidential = ConversationFacts(
        patientID: World.alex, recipient: .provider(World.chen), confidential: true)
    static let toNurseTriage = ConversationFacts(
        patientID: World.alex, recipient: .pool(World.nurseTriage), confidential: false)

    /// (who, side on an ordinary conversation to Dr. Chen, on a confidential one, on one to Nurse Triage)
    @Test(
        arguments: [
            (Who.ownerPatient, ConversationSide.patient, ConversationSide.patient, ConversationSide.patient),
            (.otherPatient, nil, nil, nil),
            (.proxyWithGrant, .proxy, nil, .proxy),
            (.proxyWithoutGrant, nil, nil, nil),
            (.proxyWithExpiredGrant, nil, nil, nil),
            (.recipientProvider, .careTeam, .careTeam, nil),
            (.otherProvider, nil, nil, nil),
            (.poolMember, nil, nil, .careTeam),
            (.otherPoolMember, nil, nil, nil),
            (.admin, nil, nil, nil),
        ] as [(Who, ConversationSide?, ConversationSide?, ConversationSide?)])
    func eachActorSeesExactlyWhatTheActorTableSays(
        who: Who, ordinary: ConversationSide?, confidential: ConversationSide?, pool: ConversationSide?
    ) {
        #expect(ConversationRules.side(of: who.actor, in: Self.toChen) == ordinary)
        #expect(ConversationRules.side(of: who.actor, in: Self.toChenConfidential) == confidential)
        #expect(ConversationRules.side(of: who.actor, in: Self.toNurseTriage) == pool)
    }

    /// (who, reply, edit details, set confidentiality, archive) on an ordinary conversation to Dr. Chen
    @Test(arguments: [
        (Who.ownerPatient, true, true, true, true),
        (.otherPatient, false, false, false, false),
        // A proxy edits only conversations they started; this one Alex started.
        (.proxyWithGrant, true, false, false, true),
        (.proxyWithoutGrant, false, false, false, false),
        (.recipientProvider, true, false, false, true),
        (.otherProvider, false, false, false, false),
        (.poolMember, false, false, false, false),
        (.admin, false, false, false, false),
    ])
    func permissionsFollowTheSide(who: Who, reply: Bool, edit: Bool, confidentiality: Bool, archive: Bool) {
        let actor = who.actor
        #expect(ConversationRules.canReply(actor, Self.toChen) == reply)
        #expect(ConversationRules.canEditDetails(actor, Self.toChen) == edit)
        #expect(ConversationRules.canSetConfidentiality(actor, Self.toChen) == confidentiality)
        #expect(ConversationRules.canArchive(actor, Self.toChen) == archive)
    }

    @Test func aProxyCanDoNothingWithAConfidentialConversation() {
        let proxy = Who.proxyWithGrant.actor
        #expect(!ConversationRules.canReply(proxy, Self.toChenConfidential))
        #expect(!ConversationRules.canEditDetails(proxy, Self.toChenConfidential))
        #expect(!ConversationRules.canSetConfidentiality(proxy, Self.toChenConfidential))
        #expect(!ConversationRules.canArchive(proxy, Self.toChenConfidential))
    }

    @Test(arguments: [
        (Who.ownerPatient, World.alex, true), (.ownerPatient, World.sam, false), (.proxyWithGrant, World.alex, true),
        (.proxyWithGrant, World.sam, true), (.proxyWithGrant, World.jordan, true),
        (.proxyWithoutGrant, World.alex, false),
        (.proxyWithExpiredGrant, World.sam, false), (.recipientProvider, World.alex, false),
        (.admin, World.alex, false),
    ])
    func whoMayStartAConversationForWhom(who: Who, patient: UserID, allowed: Bool) {
        #expect(ConversationRules.canStart(who.actor, for: patient) == allowed)
    }

    @Test(arguments: [
        (Who.ownerPatient, World.alex, World.generalMessage, true),
        (.ownerPatient, World.alex, World.billingQuestion, false),
        (.proxyWithGrant, World.alex, World.generalMessage, false),
        (.proxyWithGrant, World.jordan, World.generalMessage, true),
    ])
    func onlyThePatientStartsAConfidentialConversation(who: Who, patient: UserID, type: MessageTypeRule, allowed: Bool)
    {
        #expect(ConversationRules.mayStartConfidential(who.actor, for: patient, type: type) == allowed)
    }

    @Test func confidentialityCanBeSwitchedOnButNeverOff() throws {
        try ConversationRules.checkChange(
            from: Self.toChen, toRecipient: .provider(World.chen), confidential: true, type: World.generalMessage)
        #expect(throws: ConversationRules.DetailChangeRefusal.wouldRevealConfidential) {
            try ConversationRules.checkChange(
                from: Self.toChenConfidential, toRecipient: .provider(World.chen), confidential: false,
                type: World.generalMessage)
        }
    }

    @Test func aConfidentialConversationMayMoveToAnotherProviderButNotToAPool() throws {
        try ConversationRules.checkChange(
            from: Self.toChenConfidential, toRecipient: .provider(World.haddad), confidential: true,
            type: World.medicalQuestion)
        #expect(throws: ConversationRules.DetailChangeRefusal.wouldWidenConfidential) {
            try ConversationRules.checkChange(
                from: Self.toChenConfidential, toRecipient: .pool(World.nurseTriage), confidential: true,
                type: World.medicalQuestion)
        }
    }

    @Test func aTypeWithoutConfidentialityCannotBeMadeConfidential() {
        let billing = ConversationFacts(
            patientID: World.alex, recipient: .pool(World.billingOffice), confidential: false)
        #expect(throws: ConversationRules.DetailChangeRefusal.confidentialityNotAllowed) {
            try ConversationRules.checkChange(
                from: billing, toRecipient: .pool(World.billingOffice), confidential: true, type: World.billingQuestion)
        }
    }
}
