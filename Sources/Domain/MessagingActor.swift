/// Who is acting, as far as messaging rules need to know: their roles, the patients they may act for as a proxy
/// today, and the pools they belong to.
public struct MessagingActor: Hashable, Sendable {
    public let userID: UserID
    public let roles: Set<Role>
    /// Patients this user holds a proxy grant for that is in force today.
    public let proxyFor: Set<UserID>
    public let pools: Set<PoolID>

    public init(userID: UserID, roles: Set<Role>, proxyFor: Set<UserID> = [], pools: Set<PoolID> = []) {
        self.userID = userID
        self.roles = roles
        self.proxyFor = proxyFor
        self.pools = pools
    }

    /// The patients whose messages this user may work with on the patient side: themselves if they are a patient,
    /// and everyone they are an active proxy for.
    public var patientsActedFor: Set<UserID> {
        var patients = proxyFor
        if roles.contains(.patient) { patients.insert(userID) }
        return patients
    }
}

/// The facts about a conversation that decide who may see and change it.
public struct ConversationFacts: Hashable, Sendable {
    public let patientID: UserID
    public let recipient: Recipient
    public let confidential: Bool
    /// The care-team member it is assigned to, who sees it even when it is addressed to someone else.
    public let assignee: UserID?
    /// Who wrote the first message, and from which side.
    public let startedBy: UserID
    public let startedSide: ConversationSide
    /// Someone on the care team has written in it (started it or replied).
    public let careTeamHasWritten: Bool

    public init(
        patientID: UserID, recipient: Recipient, confidential: Bool, assignee: UserID? = nil, startedBy: UserID? = nil,
        startedSide: ConversationSide = .patient, careTeamHasWritten: Bool = false
    ) {
        self.patientID = patientID
        self.recipient = recipient
        self.confidential = confidential
        self.assignee = assignee
        self.startedBy = startedBy ?? patientID
        self.startedSide = startedSide
        self.careTeamHasWritten = careTeamHasWritten || startedSide == .careTeam
    }
}

/// Which side of a conversation an actor is on, and how.
public enum ConversationSide: String, Codable, Hashable, Sendable {
    /// The patient themselves.
    case patient
    /// A proxy writing on the patient's behalf.
    case proxy
    /// The provider it is addressed to, or a member of the pool it is addressed to.
    case careTeam = "care_team"

    /// The patient and their proxies are one side; the care team the other.
    public var isPatientSide: Bool { self != .careTeam }
}
