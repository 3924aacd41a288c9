/// Who may see a conversation and what they may do with it. Every service call asks these rules; no page or API
/// route has rules of its own.
public enum ConversationRules {
    /// The side the actor is on, or nil when the actor may not see the conversation at all (and must be told it does
    /// not exist). A proxy never sees a confidential conversation; an admin sees no message content.
    public static func side(of actor: MessagingActor, in conversation: ConversationFacts) -> ConversationSide? {
        if actor.roles.contains(.patient) && conversation.patientID == actor.userID { return .patient }
        if actor.proxyFor.contains(conversation.patientID) && !conversation.confidential { return .proxy }
        if conversation.assignee == actor.userID && actor.roles.contains(where: \.isCareTeam) { return .careTeam }
        switch conversation.recipient {
        case .provider(let provider) where provider == actor.userID && actor.roles.contains(.provider):
            return .careTeam
        case .pool(let pool) where actor.pools.contains(pool) && actor.roles.contains(where: \.isCareTeam):
            return .careTeam
        default:
            return nil
        }
    }

    public static func canSee(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        side(of: actor, in: conversation) != nil
    }

    /// Patients start conversations for themselves, proxies for the patients they act for. (Care-team-started
    /// conversations come with the care-team side.)
    public static func canStart(_ actor: MessagingActor, for patientID: UserID) -> Bool {
        actor.patientsActedFor.contains(patientID)
    }

    /// Any participant on either side may reply.
    public static func canReply(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        canSee(actor, conversation)
    }

    /// Edit shows when the actor may change any detail.
    public static func canEditDetails(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        canChangeSubject(actor, conversation) || canSetConfidentiality(actor, conversation)
    }

    /// The subject belongs to whoever wrote the question: the patient, on any conversation their side started (a
    /// proxy's included, since it is about them); a proxy, only on one they started themselves. Nobody on the patient
    /// side re-titles what the care team wrote, and the care team works a conversation rather than editing it.
    public static func canChangeSubject(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        switch side(of: actor, in: conversation) {
        case .patient: conversation.startedSide.isPatientSide
        case .proxy: conversation.startedSide == .proxy && conversation.startedBy == actor.userID
        case .careTeam, nil: false
        }
    }

    /// The recipient may be changed by whoever may change the subject, and only while nobody on the care team has
    /// written: once someone has answered, moving the conversation would take it from the person handling it.
    public static func canChangeRecipient(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        canChangeSubject(actor, conversation) && !conversation.careTeamHasWritten
    }

    /// Only the patient marks a conversation confidential; a proxy cannot, so a proxy can neither hide a conversation
    /// from other proxies nor reveal one.
    public static func canSetConfidentiality(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        side(of: actor, in: conversation) == .patient
    }

    /// When starting: only the patient themselves may ask for confidentiality, and only where the type allows it.
    public static func mayStartConfidential(_ actor: MessagingActor, for patientID: UserID, type: MessageTypeRule)
        -> Bool
    {
        type.allowsConfidentiality && actor.roles.contains(.patient) && actor.userID == patientID
    }

    /// The care team works a conversation: claims it, assigns it, marks it Done or reopens it.
    public static func canWork(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        side(of: actor, in: conversation) == .careTeam
    }

    /// Who a conversation may be assigned to: a member of the pool it is addressed to, or a provider with an active
    /// care relationship with the patient. `poolMembers` are the members of the conversation's pool, if any.
    public static func canBeAssigned(
        to assignee: UserID, roles: Set<Role>, poolMembers: Set<UserID>, providersForPatient: Set<UserID>
    ) -> Bool {
        (poolMembers.contains(assignee) && roles.contains(where: \.isCareTeam))
            || (providersForPatient.contains(assignee) && roles.contains(.provider))
    }

    /// Care-team-started conversations: a provider with a care relationship to the patient, addressed from themselves;
    /// or a pool member, from their pool, for any patient of the organisation.
    public static func canStartAsCareTeam(
        _ actor: MessagingActor, from recipient: Recipient, providersForPatient: Set<UserID>
    ) -> Bool {
        switch recipient {
        case .provider(let provider):
            provider == actor.userID && actor.roles.contains(.provider) && providersForPatient.contains(provider)
        case .pool(let pool):
            actor.pools.contains(pool) && actor.roles.contains(where: \.isCareTeam)
        }
    }

    /// Archiving hides a conversation for the actor only; anyone who sees it may.
    public static func canArchive(_ actor: MessagingActor, _ conversation: ConversationFacts) -> Bool {
        canSee(actor, conversation)
    }

    public enum DetailChangeRefusal: Error, Equatable, Sendable {
        /// Confidentiality may be switched on, never off: switching it off would show the conversation to proxies.
        case wouldRevealConfidential
        /// A confidential conversation may move to another provider, never to a pool of several people.
        case wouldWidenConfidential
        case confidentialityNotAllowed
    }

    /// A change of details may never widen who can see a confidential conversation.
    public static func checkChange(
        from conversation: ConversationFacts, toRecipient recipient: Recipient, confidential: Bool,
        type: MessageTypeRule
    ) throws(DetailChangeRefusal) {
        if confidential && !conversation.confidential && !type.allowsConfidentiality {
            throw .confidentialityNotAllowed
        }
        if conversation.confidential && !confidential { throw .wouldRevealConfidential }
        if confidential, recipient != conversation.recipient, case .pool = recipient { throw .wouldWidenConfidential }
    }
}
