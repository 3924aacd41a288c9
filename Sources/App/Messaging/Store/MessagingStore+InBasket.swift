import Domain
import Foundation
import SQLKit

/// The In Basket's filters.
enum InBasketFilter: Equatable, Sendable {
    /// Everything open that is addressed or assigned to me or my pools.
    case open
    case unread
    case assignedToMe
    case pool(UUID)
    case overdue
    case done

    init?(_ text: String?) {
        switch text ?? "open" {
        case "open": self = .open
        case "unread": self = .unread
        case "assigned": self = .assignedToMe
        case "overdue": self = .overdue
        case "done": self = .done
        case let other where other.hasPrefix("pool:"):
            guard let id = UUID(uuidString: String(other.dropFirst(5))) else { return nil }
            self = .pool(id)
        default: return nil
        }
    }

    var text: String {
        switch self {
        case .open: "open"
        case .unread: "unread"
        case .assignedToMe: "assigned"
        case .pool(let id): "pool:\(id.uuidString)"
        case .overdue: "overdue"
        case .done: "done"
        }
    }
}

/// A conditional change of who holds a conversation or whether it is done: it happens only if the conversation is
/// still as the caller saw it.
enum WorkChange: Sendable {
    /// Take it, if no one else has.
    case claim
    /// Give it to `assignee`, if it is still held by `expected`; with no `expected`, if it is held by no one, by me or
    /// by `assignee` already.
    case assign(UUID, expected: UUID?)
    case done
    case reopen
}

extension MessagingStore {
    /// Open, the patient side wrote last, and the expected reply date has passed.
    static func overdueSQL(today: CalendarDate) -> SQLQueryString {
        """
        (conversations.status = \(bind: Conversation.Status.open.rawValue) \
        AND conversations.expected_reply_by < \(bind: today.description) \
        AND conversations.last_patient_seq > conversations.last_care_team_seq)
        """
    }

    private func condition(_ filter: InBasketFilter, today: CalendarDate) -> SQLQueryString {
        let open: SQLQueryString = "conversations.status = \(bind: Conversation.Status.open.rawValue)"
        return switch filter {
        case .open: open
        case .done: "conversations.status = \(bind: Conversation.Status.closed.rawValue)"
        case .assignedToMe: open + " AND conversations.assignee_id = \(bind: scope.userID)"
        case .pool(let id): open + " AND conversations.recipient_pool_id = \(bind: id)"
        case .overdue: Self.overdueSQL(today: today)
        case .unread: open + " AND \(scope.unread)"
        }
    }

    /// One page of the In Basket: overdue first across the whole queue, then newest.
    func inBasket(_ filter: InBasketFilter, today: CalendarDate, after cursor: PageCursor?, limit: Int) async throws
        -> Page<VisibleConversation>
    {
        try await conversationPage(inBasketQuery(filter, today: today, after: cursor, limit: limit), limit: limit)
    }

    /// The statement of `inBasket`, one more row than the page to tell whether another follows.
    func inBasketQuery(_ filter: InBasketFilter, today: CalendarDate, after cursor: PageCursor?, limit: Int)
        -> SQLQueryString
    {
        let overdue: SQLQueryString = "(CASE WHEN \(Self.overdueSQL(today: today)) THEN 1 ELSE 0 END)"
        var query: SQLQueryString = """
            SELECT conversations.*, \(stateColumns) FROM conversations \(scope.joinState) \
            WHERE \(scope.careTeamOnly) AND \(condition(filter, today: today))
            """
        if let cursor {
            let flag = cursor.overdue ? 1 : 0
            query += """
                 AND (\(overdue) < \(literal: flag) OR (\(overdue) = \(literal: flag) \
                AND (conversations.last_message_at < \(bind: cursor.time) \
                OR (conversations.last_message_at = \(bind: cursor.time) AND conversations.id < \(bind: cursor.id)))))
                """
        }
        query += """
             ORDER BY \(overdue) DESC, conversations.last_message_at DESC, conversations.id DESC \
            LIMIT \(literal: limit + 1)
            """
        return query
    }

    /// How many conversations each filter holds, all in one statement.
    func inBasketCounts(_ filters: [InBasketFilter], today: CalendarDate) async throws -> [Int] {
        guard !filters.isEmpty else { return [] }
        let sums = filters.enumerated().map { index, filter -> SQLQueryString in
            "COALESCE(SUM(CASE WHEN \(condition(filter, today: today)) THEN 1 ELSE 0 END), 0) AS \(unsafeRaw: "count_\(index)")"
        }
        let row = try await sql.raw(
            """
            SELECT \(sums.joined(separator: ", ")) FROM conversations \(scope.joinState) \
            WHERE \(scope.careTeamOnly)
            """
        ).first()
        return try filters.indices.map { try row?.decode(column: "count_\($0)", as: Int.self) ?? 0 }
    }

    /// Makes a work change if the conversation is still as the caller saw it; false when someone else got there first.
    func change(_ id: UUID, _ change: WorkChange) async throws -> Bool {
        let me = scope.userID
        let open = Conversation.Status.open.rawValue
        let closed = Conversation.Status.closed.rawValue
        let statement: SQLQueryString =
            switch change {
            case .claim:
                """
                UPDATE conversations SET assignee_id = \(bind: me) WHERE id = \(bind: id) \
                AND (assignee_id IS NULL OR assignee_id = \(bind: me))
                """
            case .assign(let assignee, expected: let expected?):
                """
                UPDATE conversations SET assignee_id = \(bind: assignee) WHERE id = \(bind: id) \
                AND assignee_id = \(bind: expected)
                """
            case .assign(let assignee, expected: nil):
                """
                UPDATE conversations SET assignee_id = \(bind: assignee) WHERE id = \(bind: id) \
                AND (assignee_id IS NULL OR assignee_id = \(bind: me) OR assignee_id = \(bind: assignee))
                """
            case .done:
                """
                UPDATE conversations SET status = \(bind: closed), done_at = \(bind: context.now) \
                WHERE id = \(bind: id) AND status = \(bind: open)
                """
            case .reopen:
                """
                UPDATE conversations SET status = \(bind: open), done_at = NULL \
                WHERE id = \(bind: id) AND status = \(bind: closed)
                """
            }
        return !(try await sql.raw(statement + " RETURNING id").all()).isEmpty
    }
}
