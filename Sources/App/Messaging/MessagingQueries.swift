import Domain
import Fluent
import FluentSQL
import Foundation
import SQLKit

/// Queries that return conversations, each scoped to what the actor may see. The scope mirrors
/// `ConversationRules.side`: a table test of the rules and the authorisation-matrix tests keep the two in step.
enum MessagingQueries {
    enum Folder: String, CaseIterable, Codable, Sendable {
        case inbox, sent, drafts, archived
    }

    /// The condition on `conversations` that keeps what the actor may see, in the actor's organisation, optionally
    /// about one patient. Written as SQL rather than through Fluent's query builder: it is on every read, and
    /// building and escaping the builder's statement cost more than running it.
    static func visible(_ context: MessagingContext, patient: UUID? = nil) -> SQLQueryString {
        let actor = context.actor
        let careTeam = actor.roles.contains(where: \.isCareTeam)
        var branches: [SQLQueryString] = []
        if actor.roles.contains(.patient) { branches.append("conversations.patient_id = \(bind: context.userID)") }
        if !actor.proxyFor.isEmpty {
            branches.append(
                "(conversations.patient_id IN (\(binds: actor.proxyFor.map(\.uuid))) AND conversations.confidential = \(bind: false))"
            )
        }
        if actor.roles.contains(.provider) {
            branches.append("conversations.recipient_provider_id = \(bind: context.userID)")
        }
        if careTeam && !actor.pools.isEmpty {
            branches.append("conversations.recipient_pool_id IN (\(binds: actor.pools.map(\.uuid)))")
        }
        if careTeam { branches.append("conversations.assignee_id = \(bind: context.userID)") }

        var condition: SQLQueryString = "conversations.organization_id = \(bind: context.organization.id) AND "
        switch branches.count {
        case 0: condition += "1 = 0"
        // A single branch stays a plain condition, so the database can use its index and its order.
        case 1: condition += branches[0]
        default: condition += "(" + branches.joined(separator: " OR ") + ")"
        }
        if let patient { condition += " AND conversations.patient_id = \(bind: patient)" }
        return condition
    }

    /// The conversation if the actor may see it; otherwise 404, whether or not it exists.
    static func visibleConversation(_ id: UUID, _ context: MessagingContext, on db: any Database) async throws
        -> Conversation
    {
        guard
            let conversation = try await db.sql().raw(
                "SELECT conversations.* FROM conversations WHERE conversations.id = \(bind: id) AND \(visible(context))"
            ).first(decodingFluent: Conversation.self).get(),
            ConversationRules.canSee(context.actor, conversation.facts)
        else { throw MessagingError.notFound }
        return conversation
    }

    /// The actor's own state of each conversation, joined in.
    static func joinMyState(_ context: MessagingContext) -> SQLQueryString {
        """
        LEFT JOIN conversation_states ON conversation_states.conversation_id = conversations.id \
        AND conversation_states.user_id = \(bind: context.userID)
        """
    }

    /// A message arrived after the actor last read the conversation.
    static let unreadSQL: SQLQueryString = """
        (conversation_states.last_read_at IS NULL OR conversation_states.last_read_at < conversations.last_message_at)
        """

    /// One folder of conversations, newest first, a page at a time, with the actor's state of each.
    static func folder(
        _ folder: Folder, _ context: MessagingContext, patient: UUID?, after cursor: ConversationCursor?, limit: Int,
        on db: any Database
    ) async throws -> (conversations: [Conversation], states: [UUID: ReadState], hasMore: Bool) {
        var query: SQLQueryString = """
            SELECT conversations.*, \(ReadState.columns) FROM conversations \(joinMyState(context)) \
            WHERE \(visible(context, patient: patient))
            """
        switch folder {
        case .inbox, .drafts:
            query += " AND conversation_states.archived_at IS NULL"
        case .archived:
            query += " AND conversation_states.archived_at IS NOT NULL"
        case .sent:
            query += """
                 AND conversation_states.archived_at IS NULL AND EXISTS (SELECT 1 FROM messages \
                WHERE messages.conversation_id = conversations.id AND messages.author_id = \(bind: context.userID))
                """
        }
        if let cursor {
            query += """
                 AND (conversations.last_message_at < \(bind: cursor.lastMessageAt) \
                OR (conversations.last_message_at = \(bind: cursor.lastMessageAt) AND conversations.id < \(bind: cursor.id)))
                """
        }
        query += " ORDER BY conversations.last_message_at DESC, conversations.id DESC LIMIT \(literal: limit + 1)"
        let rows = try await db.sql().raw(query).all()
        var conversations: [Conversation] = []
        var states: [UUID: ReadState] = [:]
        for row in rows.prefix(limit) {
            let conversation = try row.decode(fluentModel: Conversation.self)
            conversations.append(conversation)
            states[conversation.id!] = try ReadState(row)
        }
        return (conversations, states, rows.count > limit)
    }

    static func myStates(for ids: [UUID], _ context: MessagingContext, on db: any Database) async throws
        -> [UUID: ReadState]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.sql().raw(
            """
            SELECT conversation_id, \(ReadState.columns) FROM conversation_states \
            WHERE user_id = \(bind: context.userID) AND conversation_id IN (\(binds: ids))
            """
        ).all()
        var states: [UUID: ReadState] = [:]
        for row in rows {
            states[try row.decode(column: "conversation_id", as: UUID.self)] = try ReadState(row)
        }
        return states
    }

    /// Unread conversations in the inbox or in the archive.
    static func unreadCount(archived: Bool, _ context: MessagingContext, patient: UUID? = nil, on db: any Database)
        async throws -> Int
    {
        let row = try await db.sql().raw(
            """
            SELECT COUNT(*) AS unread FROM conversations \(joinMyState(context)) \
            WHERE \(visible(context, patient: patient)) AND conversation_states.archived_at \
            \(unsafeRaw: archived ? "IS NOT NULL" : "IS NULL") AND \(unreadSQL)
            """
        ).first()
        return try row?.decode(column: "unread", as: Int.self) ?? 0
    }
}

/// The actor's own state of a conversation: when they last read it, and whether they archived it.
struct ReadState: Sendable {
    var lastReadAt: Date?
    var archivedAt: Date?

    /// The columns `init(_:)` reads, for a query that selects from `conversation_states`.
    static let columns: SQLQueryString = """
        conversation_states.last_read_at AS state_last_read_at, conversation_states.archived_at AS state_archived_at
        """

    init(lastReadAt: Date?, archivedAt: Date?) {
        self.lastReadAt = lastReadAt
        self.archivedAt = archivedAt
    }

    init(_ row: any SQLRow) throws {
        lastReadAt = try row.decode(column: "state_last_read_at", as: Date?.self)
        archivedAt = try row.decode(column: "state_archived_at", as: Date?.self)
    }
}

/// Where a page of conversations ends: the last one's time and id, opaque to clients.
struct ConversationCursor: Equatable {
    let lastMessageAt: Date
    let id: UUID

    init(lastMessageAt: Date, id: UUID) {
        self.lastMessageAt = lastMessageAt
        self.id = id
    }

    init?(_ text: String) {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else {
            return nil
        }
        let parts = decoded.split(separator: "|")
        guard parts.count == 2, let millis = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            return nil
        }
        self.init(lastMessageAt: Date(timeIntervalSince1970: Double(millis) / 1000), id: id)
    }

    var text: String {
        Data("\(Int64((lastMessageAt.timeIntervalSince1970 * 1000).rounded()))|\(id.uuidString)".utf8)
            .base64EncodedString()
    }
}
