import Domain
import Foundation
import SQLKit

/// What someone searches their conversations for: words of the subject or the messages, and filters that narrow it.
/// Every part is optional; with none, it finds every conversation the actor may see.
struct SearchQuery: Equatable, Sendable {
    /// Every one must be in the subject or a message (`SearchIndex.words`).
    var words: [String] = []
    /// Only this patient's: a proxy viewing one person's messages.
    var patient: UUID?
    /// Addressed to this provider or this pool (ids never repeat between the two).
    var recipient: UUID?
    var type: UUID?
    /// With a message at or after `from` and started before `before`: active in that time.
    var from: Date?
    var before: Date?
    /// Only conversations in this folder (not drafts, which are not conversations yet).
    var folder: Folder?
    /// The care team's search for a patient: every word of it in the patient's name.
    var patientName: [String] = []
    var patientBirthDate: CalendarDate?
    /// Only what the actor works on the care team (the In Basket's search), never their own as a patient.
    var careTeamOnly = false

    var hasCriteria: Bool {
        !words.isEmpty || recipient != nil || type != nil || from != nil || before != nil || folder != nil
            || !patientName.isEmpty || patientBirthDate != nil
    }
}

extension MessagingStore {
    /// One page of the conversations that match, newest first, with the actor's state of each.
    func search(_ query: SearchQuery, after cursor: PageCursor?, limit: Int) async throws -> Page<VisibleConversation> {
        try await conversationPage(searchQuery(query, after: cursor, limit: limit), limit: limit)
    }

    /// The statement of `search`: the actor's scope first, as every list is, then each criterion given.
    func searchQuery(_ query: SearchQuery, after cursor: PageCursor?, limit: Int) -> SQLQueryString {
        let visible = query.careTeamOnly ? scope.careTeamOnly : scope.visible(patient: query.patient)
        var conditions: [SQLQueryString] = [visible]
        if query.careTeamOnly, let patient = query.patient {
            conditions.append("conversations.patient_id = \(bind: patient)")
        }
        if !query.words.isEmpty { conditions.append(searchIndex.matches(query.words)) }
        if let recipient = query.recipient {
            conditions.append(
                """
                (conversations.recipient_provider_id = \(bind: recipient) \
                OR conversations.recipient_pool_id = \(bind: recipient))
                """)
        }
        if let type = query.type { conditions.append("conversations.message_type_id = \(bind: type)") }
        if let from = query.from { conditions.append("conversations.last_message_at >= \(bind: from)") }
        if let before = query.before { conditions.append("conversations.created_at < \(bind: before)") }
        if let folder = query.folder { conditions.append(condition(folder)) }
        if !query.patientName.isEmpty || query.patientBirthDate != nil {
            conditions.append(
                "conversations.patient_id IN (\(patients(named: query.patientName, born: query.patientBirthDate)))")
        }
        return """
            SELECT conversations.*, \(stateColumns) FROM conversations \(scope.joinState) \
            WHERE \(conditions.joined(separator: " AND "))
            """ + newestFirst(after: cursor, limit: limit)
    }

    /// Whom the actor's conversations (or, with `patient`, that patient's) are addressed to, by name: the providers and
    /// pools a search can narrow to.
    func recipients(ofConversationsOf patient: UUID?) async throws -> [(id: UUID, name: String)] {
        let rows = try await sql.raw(
            """
            SELECT DISTINCT conversations.recipient_provider_id, conversations.recipient_pool_id FROM conversations \
            WHERE \(scope.visible(patient: patient))
            """
        ).all()
        var providerIDs: Set<UUID> = []
        var poolIDs: Set<UUID> = []
        for row in rows {
            if let id = try row.decode(column: "recipient_provider_id", as: UUID?.self) { providerIDs.insert(id) }
            if let id = try row.decode(column: "recipient_pool_id", as: UUID?.self) { poolIDs.insert(id) }
        }
        let named =
            try await users(providerIDs).map { (id: $0.key, name: $0.value.personName.displayName) }
            + pools(poolIDs).map { (id: $0.key, name: $0.value.name) }
        return named.sorted { $0.name < $1.name }
    }

    /// The organisation's patients with every word in their name and, if given, born on that day.
    private func patients(named words: [String], born: CalendarDate?) -> SQLQueryString {
        var query: SQLQueryString =
            "SELECT users.id FROM users WHERE users.organization_id = \(bind: scope.organizationID)"
        for word in words {
            query += " AND LOWER(users.name) LIKE \(bind: "%" + word + "%")"
        }
        if let born { query += " AND users.birth_date = \(bind: born.description)" }
        return query
    }
}
