import Domain
import Foundation
import SQLKit

/// What one actor may see of messaging, as SQL: the single predicate every statement that returns conversations is
/// filtered by. It states `ConversationRules.side` in SQL; `AccessScopeTests` holds the two to the same answers for
/// every actor of a table of people and conversations.
struct AccessScope: Sendable {
    let organizationID: UUID
    let actor: MessagingActor

    var userID: UUID { actor.userID.uuid }

    /// The conversations the actor sees from the patient side: their own (as a patient), and the non-confidential
    /// ones of the patients they are a proxy for today. Nil when they have no patient side.
    var patientSide: SQLQueryString? {
        var branches: [SQLQueryString] = []
        if actor.roles.contains(.patient) { branches.append("conversations.patient_id = \(bind: userID)") }
        if !actor.proxyFor.isEmpty {
            branches.append(
                """
                (conversations.patient_id IN (\(binds: actor.proxyFor.map(\.uuid))) \
                AND conversations.confidential = \(bind: false))
                """)
        }
        return Self.any(branches)
    }

    /// The conversations the actor works on the care team: addressed to them as a provider, to a pool they belong to,
    /// or assigned to them. Nil when they are not on a care team.
    var careTeamSide: SQLQueryString? {
        guard actor.roles.contains(where: \.isCareTeam) else { return nil }
        var branches: [SQLQueryString] = []
        if actor.roles.contains(.provider) {
            branches.append("conversations.recipient_provider_id = \(bind: userID)")
        }
        if !actor.pools.isEmpty {
            branches.append("conversations.recipient_pool_id IN (\(binds: actor.pools.map(\.uuid)))")
        }
        branches.append("conversations.assignee_id = \(bind: userID)")
        return Self.any(branches)
    }

    /// Everything the actor may see, in their organisation, optionally about one patient.
    func visible(patient: UUID? = nil) -> SQLQueryString {
        var condition: SQLQueryString = "conversations.organization_id = \(bind: organizationID) AND "
        condition += Self.any([patientSide, careTeamSide].compactMap { $0 }) ?? "1 = 0"
        if let patient { condition += " AND conversations.patient_id = \(bind: patient)" }
        return condition
    }

    /// Only what the actor works on the care team (the In Basket), never their own conversations as a patient.
    var careTeamOnly: SQLQueryString {
        "conversations.organization_id = \(bind: organizationID) AND " + (careTeamSide ?? "1 = 0")
    }

    /// The number of the latest message from the side opposite the actor's. Only messages from the other side are
    /// news: what the actor's own side wrote is never unread to them.
    var otherSideSeq: SQLQueryString { latestSeq(ofPatientSide: false) }

    /// The number of the latest message from the actor's own side (theirs, or for a proxy the patient's side).
    var mySideSeq: SQLQueryString { latestSeq(ofPatientSide: true) }

    /// The latest message number of the patient side, or of the care team, as seen from the actor's side of each
    /// conversation (a provider who is also a patient is on the patient side of their own conversations).
    private func latestSeq(ofPatientSide mine: Bool) -> SQLQueryString {
        let patient: SQLQueryString = "conversations.last_patient_seq"
        let careTeam: SQLQueryString = "conversations.last_care_team_seq"
        guard let patientSide else { return mine ? careTeam : patient }
        guard careTeamSide != nil else { return mine ? patient : careTeam }
        let (onPatientSide, onCareTeam) = mine ? (patient, careTeam) : (careTeam, patient)
        return "(CASE WHEN \(patientSide) THEN \(onPatientSide) ELSE \(onCareTeam) END)"
    }

    /// A message from the other side that the actor has not read. Needs `joinState`.
    var unread: SQLQueryString {
        "\(otherSideSeq) > COALESCE(conversation_states.last_read_seq, 0)"
    }

    /// Archived by the actor, and nothing has come from the other side since: a new message brings a conversation
    /// back to the Inbox without anyone writing to the archiver's state. Needs `joinState`.
    var archived: SQLQueryString {
        "(conversation_states.archived_seq IS NOT NULL AND conversation_states.archived_seq >= \(otherSideSeq))"
    }

    /// The actor's own state of each conversation.
    var joinState: SQLQueryString {
        """
        LEFT JOIN conversation_states ON conversation_states.conversation_id = conversations.id \
        AND conversation_states.user_id = \(bind: userID)
        """
    }

    /// One branch stays a plain condition, so the database can use its index and its order.
    static func any(_ branches: [SQLQueryString]) -> SQLQueryString? {
        switch branches.count {
        case 0: nil
        case 1: branches[0]
        default: "(" + branches.joined(separator: " OR ") + ")"
        }
    }
}
