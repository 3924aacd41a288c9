import Domain
import Fluent
import FluentSQL
import Foundation
import SQLKit

/// Every SQL statement of messaging: conversations, messages, read state, drafts and the In Basket. Built on a database
/// (the pool's, or a transaction's inside `write`) and the acting user's context; every statement that returns patient
/// data is filtered by `scope`.
///
/// Locks are taken in one order on every write path: the conversation row, then messages, then the search index, then
/// read state, then the audit chain head. Two writers that each hold one of those never wait for each other in a circle.
struct MessagingStore: Sendable {
    let db: any Database
    let writes: WriteSerializer
    let context: MessagingContext

    var scope: AccessScope { context.scope }
    var sql: any SQLDatabase { db.sql() }
    var searchIndex: SearchIndex { SearchIndex(sql: sql) }

    /// Runs `work` in one write transaction, with a store on that transaction. `work` takes plain values and may run
    /// twice (a failed group commit runs each of its writes again alone), so it never carries a model object from one
    /// attempt to the next.
    func write<T: Sendable>(_ work: @escaping @Sendable (MessagingStore) async throws -> T) async throws -> T {
        let writes = self.writes
        let context = self.context
        return try await writes.transaction(on: db) { db in
            try await work(MessagingStore(db: db, writes: writes, context: context))
        }
    }

    /// Appends an audit event for the acting user, in this store's transaction.
    func audit(
        _ action: String, _ recordType: String, _ recordID: UUID?, actingFor patient: UUID? = nil,
        outcome: String = "success"
    ) async throws {
        try await context.audit(action, recordType, recordID, actingFor: patient, outcome: outcome, on: db)
    }

    /// The larger of two values: `MAX(a, b)` on SQLite, `GREATEST(a, b)` on PostgreSQL.
    func greatest(_ a: SQLQueryString, _ b: SQLQueryString) -> SQLQueryString {
        sql.dialect.name == "sqlite" ? "MAX(\(a), \(b))" : "GREATEST(\(a), \(b))"
    }

    // MARK: One conversation

    /// The actor's own flags on a conversation row, computed by the same SQL that files and counts it.
    var stateColumns: SQLQueryString {
        """
        CASE WHEN \(scope.unread) THEN 1 ELSE 0 END AS state_unread, \
        CASE WHEN \(scope.archived) THEN 1 ELSE 0 END AS state_archived
        """
    }

    /// The conversation if the actor may see it, with their side and (`withState`) their own state of it; otherwise
    /// 404, whether or not it exists. A change does not need the state, which costs a join.
    func conversation(_ id: UUID, withState: Bool = true) async throws -> VisibleConversation {
        guard
            let row = try await sql.raw(conversationQuery(id, withState: withState)).first(),
            let visible = try VisibleConversation(row, actor: scope.actor)
        else { throw MessagingError.notFound }
        return visible
    }

    func conversationQuery(_ id: UUID, withState: Bool = true) -> SQLQueryString {
        let state: SQLQueryString =
            withState
            ? "\(stateColumns) FROM conversations \(scope.joinState)"
            : "0 AS state_unread, 0 AS state_archived FROM conversations"
        return "SELECT conversations.*, \(state) WHERE conversations.id = \(bind: id) AND \(scope.visible())"
    }

    /// A message this user sent with an idempotency key, if any.
    func message(sentWithKey key: String) async throws -> Message? {
        try await db.models(
            Message.self,
            "SELECT * FROM messages WHERE author_id = \(bind: scope.userID) AND idempotency_key = \(bind: key)"
        ).first
    }

    /// The `limit` messages of a conversation up to number `last`, oldest first.
    func messages(in id: UUID, upTo last: Int, limit: Int) async throws -> [Message] {
        try await db.models(Message.self, messagesQuery(in: id, upTo: last, limit: limit)).reversed()
    }

    func messagesQuery(in id: UUID, upTo last: Int, limit: Int) -> SQLQueryString {
        """
        SELECT * FROM messages WHERE conversation_id = \(bind: id) AND seq <= \(bind: last) \
        ORDER BY seq DESC LIMIT \(literal: limit)
        """
    }

    /// The changes of details made since `since` (all when nil).
    func events(in id: UUID, since: Date?) async throws -> [ConversationEvent] {
        let after: SQLQueryString = since.map { " AND created_at >= \(bind: $0)" } ?? ""
        return try await db.models(
            ConversationEvent.self, "SELECT * FROM conversation_events WHERE conversation_id = \(bind: id)\(after)")
    }

    /// The latest message of each of `ids`, by conversation: what a list row previews. The caller has the rows from a
    /// scoped statement.
    func latestMessages(of ids: [UUID]) async throws -> [UUID: Message] {
        guard !ids.isEmpty else { return [:] }
        let messages = try await db.models(
            Message.self,
            """
            SELECT messages.* FROM conversations JOIN messages ON messages.conversation_id = conversations.id \
            AND messages.seq = conversations.last_message_seq WHERE conversations.id IN (\(binds: ids))
            """)
        return Dictionary(messages.map { ($0.$conversation.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Which of `ids` have an attachment on any of their messages: the list's paperclip.
    func withAttachments(_ ids: [UUID]) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let rows = try await sql.raw(
            """
            SELECT DISTINCT messages.conversation_id FROM messages JOIN attachments \
            ON attachments.message_id = messages.id WHERE messages.conversation_id IN (\(binds: ids))
            """
        ).all()
        return Set(try rows.map { try $0.decode(column: "conversation_id", as: UUID.self) })
    }

    // MARK: Names

    /// The subject, or else the type's name, of conversations the actor may see.
    func titles(of ids: Set<UUID>) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.raw(
            """
            SELECT conversations.id, conversations.subject, conversations.message_type_id FROM conversations \
            WHERE conversations.id IN (\(binds: Array(ids))) AND \(scope.visible())
            """
        ).all()
        let typeNames = Dictionary(uniqueKeysWithValues: context.messageTypes.map { ($0.id, $0.name) })
        var titles: [UUID: String] = [:]
        for row in rows {
            let type = try row.decode(column: "message_type_id", as: UUID.self)
            titles[try row.decode(column: "id", as: UUID.self)] =
                try row.decode(column: "subject", as: String?.self) ?? typeNames[type] ?? ""
        }
        return titles
    }

    func users(_ ids: Set<UUID>) async throws -> [UUID: User] {
        guard !ids.isEmpty else { return [:] }
        let users = try await db.models(User.self, "SELECT * FROM users WHERE id IN (\(binds: Array(ids)))")
        return Dictionary(uniqueKeysWithValues: users.map { ($0.id!, $0) })
    }

    func pools(_ ids: Set<UUID>) async throws -> [UUID: Pool] {
        guard !ids.isEmpty else { return [:] }
        let pools = try await db.models(Pool.self, "SELECT * FROM pools WHERE id IN (\(binds: Array(ids)))")
        return Dictionary(uniqueKeysWithValues: pools.map { ($0.id!, $0) })
    }

    /// Users of the actor's organisation, with their roles.
    func usersWithRoles(_ ids: Set<UUID>) async throws -> [User] {
        guard !ids.isEmpty else { return [] }
        return try await User.query(on: db).filter(\.$id ~~ Array(ids))
            .filter(\.$organization.$id == scope.organizationID).with(\.$roleGrants).all()
    }

    /// A user of the actor's organisation, with their roles.
    func organizationUser(_ id: UUID) async throws -> User? {
        try await User.query(on: db).filter(\.$id == id).filter(\.$organization.$id == scope.organizationID)
            .with(\.$roleGrants).first()
    }

    /// The pool's members who can still sign in: a deactivated member is offered no work.
    func poolMembers(_ pool: UUID) async throws -> Set<UUID> {
        Set(
            try await PoolMember.query(on: db).join(User.self, on: \PoolMember.$user.$id == \User.$id)
                .filter(\.$pool.$id == pool).filter(User.self, \.$deactivatedAt == nil).all(\.$user.$id))
    }

    /// The actor's own pools, by name.
    func myPools() async throws -> [Pool] {
        try await Pool.query(on: db).filter(\.$id ~~ scope.actor.pools.map(\.uuid)).sort(\.$name).all()
    }
}

/// A conversation the actor may see: the row, the side they are on, and their own state of it.
struct VisibleConversation: Sendable {
    let conversation: Conversation
    let side: ConversationSide
    /// A message from the other side they have not read.
    private(set) var unread: Bool
    /// Archived by them, with nothing new from the other side since.
    let archived: Bool

    var id: UUID { conversation.id! }

    /// As `MessagingStore.markRead` left it, without reading it again.
    mutating func markRead(upTo seq: Int, at time: Date) {
        unread = false
        if side == .careTeam {
            conversation.careTeamReadAt = time
            conversation.careTeamReadSeq = seq
        }
    }
    var patientID: UUID { conversation.$patient.id }
    var facts: ConversationFacts { conversation.facts }

    /// Nil when the rules say the actor does not see it: the SQL scope and the Swift rules must both agree.
    init?(_ row: any SQLRow, actor: MessagingActor) throws {
        let conversation = try row.decode(fluentModel: Conversation.self)
        guard let side = ConversationRules.side(of: actor, in: conversation.facts) else { return nil }
        self.conversation = conversation
        self.side = side
        unread = try row.decode(column: "state_unread", as: Int.self) != 0
        archived = try row.decode(column: "state_archived", as: Int.self) != 0
    }
}
