import Domain
import Fluent
import FluentSQL
import Foundation

/// Queries that return conversations, each scoped to what the actor may see. The scope mirrors
/// `ConversationRules.side`: a table test of the rules and the authorisation-matrix tests keep the two in step.
enum MessagingQueries {
    enum Folder: String, CaseIterable, Codable, Sendable {
        case inbox, sent, drafts, archived
    }

    /// Conversations of the actor's organisation that the actor may see, optionally about one patient.
    static func visibleConversations(
        _ context: MessagingContext, patient: UUID? = nil, on db: any Database
    ) -> QueryBuilder<Conversation> {
        let actor = context.actor
        let careTeam = actor.roles.contains(where: \.isCareTeam)
        var branches: [(QueryBuilder<Conversation>) -> Void] = []
        if actor.roles.contains(.patient) { branches.append { $0.filter(\.$patient.$id == context.userID) } }
        if !actor.proxyFor.isEmpty {
            branches.append {
                $0.group(.and) {
                    $0.filter(\.$patient.$id ~~ actor.proxyFor.map(\.uuid)).filter(\.$confidential == false)
                }
            }
        }
        if actor.roles.contains(.provider) { branches.append { $0.filter(\.$recipientProvider.$id == context.userID) } }
        if careTeam && !actor.pools.isEmpty {
            branches.append { $0.filter(\.$recipientPool.$id ~~ actor.pools.map(\.uuid)) }
        }
        if careTeam { branches.append { $0.filter(\.$assignee.$id == context.userID) } }

        let query = Conversation.query(on: db).filter(\.$organization.$id == context.organization.id)
        switch branches.count {
        // Nothing matches: no conversation has the nil UUID.
        case 0: query.filter(\.$id == UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        // A single branch stays a plain condition, so the database can use its index and its order.
        case 1: branches[0](query)
        default: query.group(.or) { or in branches.forEach { $0(or) } }
        }
        if let patient { query.filter(\.$patient.$id == patient) }
        return query
    }

    /// The conversation if the actor may see it; otherwise 404, whether or not it exists.
    static func visibleConversation(_ id: UUID, _ context: MessagingContext, on db: any Database) async throws
        -> Conversation
    {
        guard let conversation = try await visibleConversations(context, on: db).filter(\.$id == id).first(),
            ConversationRules.canSee(context.actor, conversation.facts)
        else { throw MessagingError.notFound }
        return conversation
    }

    static func joinMyState(_ query: QueryBuilder<Conversation>, _ context: MessagingContext) -> QueryBuilder<
        Conversation
    > {
        query.join(
            ConversationState.self,
            on: \Conversation.$id == \ConversationState.$conversation.$id
                && \ConversationState.$user.$id == context.userID,
            method: .left)
    }

    /// One folder of conversations, newest first, a page at a time.
    static func folder(
        _ folder: Folder, _ context: MessagingContext, patient: UUID?, after cursor: ConversationCursor?, limit: Int,
        on db: any Database
    ) async throws -> (conversations: [Conversation], states: [UUID: ConversationState], hasMore: Bool) {
        let query = joinMyState(visibleConversations(context, patient: patient, on: db), context)
        switch folder {
        case .inbox, .drafts:
            query.filter(ConversationState.self, \.$archivedAt == nil)
        case .archived:
            query.filter(ConversationState.self, \.$archivedAt != nil)
        case .sent:
            query.filter(ConversationState.self, \.$archivedAt == nil)
                .filter(
                    .sql(
                        embed:
                            "EXISTS (SELECT 1 FROM messages WHERE messages.conversation_id = conversations.id AND messages.author_id = \(bind: context.userID))"
                    ))
        }
        if let cursor {
            query.group(.or) { or in
                or.filter(\.$lastMessageAt < cursor.lastMessageAt)
                or.group(.and) { $0.filter(\.$lastMessageAt == cursor.lastMessageAt).filter(\.$id < cursor.id) }
            }
        }
        var conversations = try await query.sort(\.$lastMessageAt, .descending).sort(\.$id, .descending)
            .limit(limit + 1).all()
        let hasMore = conversations.count > limit
        conversations = Array(conversations.prefix(limit))
        let states = try await myStates(for: conversations.compactMap(\.id), context, on: db)
        return (conversations, states, hasMore)
    }

    static func myStates(for ids: [UUID], _ context: MessagingContext, on db: any Database) async throws
        -> [UUID: ConversationState]
    {
        guard !ids.isEmpty else { return [:] }
        let states = try await ConversationState.query(on: db)
            .filter(\.$user.$id == context.userID).filter(\.$conversation.$id ~~ ids).all()
        return Dictionary(states.map { ($0.$conversation.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Unread conversations in the inbox and in the archive: a message arrived after the actor last read it.
    static func unreadCount(archived: Bool, _ context: MessagingContext, patient: UUID? = nil, on db: any Database)
        async throws -> Int
    {
        let query = joinMyState(visibleConversations(context, patient: patient, on: db), context)
        if archived {
            query.filter(ConversationState.self, \.$archivedAt != nil)
        } else {
            query.filter(ConversationState.self, \.$archivedAt == nil)
        }
        return try await query.group(.or) { or in
            or.filter(ConversationState.self, \.$lastReadAt == nil)
            or.filter(.sql(embed: "conversation_states.last_read_at < conversations.last_message_at"))
        }.count()
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
