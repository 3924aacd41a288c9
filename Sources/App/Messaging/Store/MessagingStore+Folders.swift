import Domain
import Foundation
import SQLKit

/// The folders of the Messages page. A conversation is a thread, so one with messages from both sides is in both the
/// Inbox and Sent, as a thread is in mail.
enum Folder: String, CaseIterable, Codable, Sendable {
    /// Conversations with a message from the other side, not archived.
    case inbox
    /// Conversations with a message from the actor's own side (the patient's and their proxies' alike), not archived.
    case sent
    case drafts
    /// Archived by the actor, with nothing new from the other side since.
    case archived
}

/// Where a page of a list ends: the last item's time and id, opaque to clients. The In Basket adds whether that item
/// was overdue, since overdue conversations come first.
struct PageCursor: Equatable, Sendable {
    let time: Date
    let id: UUID
    var overdue = false

    init(time: Date, id: UUID, overdue: Bool = false) {
        self.time = time
        self.id = id
        self.overdue = overdue
    }

    init?(_ text: String) {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else {
            return nil
        }
        let parts = decoded.split(separator: "|")
        guard (2...3).contains(parts.count), let millis = Int64(parts[0]), let id = UUID(uuidString: String(parts[1]))
        else { return nil }
        self.init(time: Date(timeIntervalSince1970: Double(millis) / 1000), id: id, overdue: parts.count == 3)
    }

    var text: String {
        let millis = Int64((time.timeIntervalSince1970 * 1000).rounded())
        return Data("\(millis)|\(id.uuidString)\(overdue ? "|o" : "")".utf8).base64EncodedString()
    }
}

/// One page of a list, and whether more follow.
struct Page<Item: Sendable>: Sendable {
    let items: [Item]
    let hasMore: Bool
}

extension MessagingStore {
    /// One folder of conversations, newest first, a page at a time, with the actor's state of each.
    func folder(_ folder: Folder, patient: UUID?, after cursor: PageCursor?, limit: Int) async throws
        -> Page<VisibleConversation>
    {
        try await conversationPage(folderQuery(folder, patient: patient, after: cursor, limit: limit), limit: limit)
    }

    /// Runs a statement that selects one more conversation than the page, with the actor's state of each.
    func conversationPage(_ query: SQLQueryString, limit: Int) async throws -> Page<VisibleConversation> {
        let rows = try await sql.raw(query).all()
        let items = try rows.prefix(limit).compactMap { try VisibleConversation($0, actor: scope.actor) }
        return Page(items: items, hasMore: rows.count > limit)
    }

    /// The statement of `folder`.
    func folderQuery(_ folder: Folder, patient: UUID?, after cursor: PageCursor?, limit: Int) -> SQLQueryString {
        let query: SQLQueryString = """
            SELECT conversations.*, \(stateColumns) FROM conversations \(scope.joinState) \
            WHERE \(scope.visible(patient: patient)) AND \(condition(folder))
            """
        return query + newestFirst(after: cursor, limit: limit)
    }

    /// The conversations a folder holds, for the actor. Needs `joinState`.
    func condition(_ folder: Folder) -> SQLQueryString {
        switch folder {
        case .inbox, .drafts: "NOT \(scope.archived) AND \(scope.otherSideSeq) > 0"
        case .sent: "NOT \(scope.archived) AND \(scope.mySideSeq) > 0"
        case .archived: scope.archived
        }
    }

    /// Newest first from after `cursor`, one more row than the page to tell whether another follows.
    func newestFirst(after cursor: PageCursor?, limit: Int) -> SQLQueryString {
        var query: SQLQueryString = ""
        if let cursor {
            query += """
                 AND (conversations.last_message_at < \(bind: cursor.time) \
                OR (conversations.last_message_at = \(bind: cursor.time) AND conversations.id < \(bind: cursor.id)))
                """
        }
        return query
            + " ORDER BY conversations.last_message_at DESC, conversations.id DESC LIMIT \(literal: limit + 1)"
    }

    /// Conversations with something unread from the other side: in the Inbox (the number on the Messages link) and in
    /// the archive. One statement.
    func unreadCounts(patient: UUID?) async throws -> (inbox: Int, archived: Int) {
        let row = try await sql.raw(
            """
            SELECT COALESCE(SUM(CASE WHEN NOT \(scope.archived) THEN 1 ELSE 0 END), 0) AS inbox, \
            COALESCE(SUM(CASE WHEN \(scope.archived) THEN 1 ELSE 0 END), 0) AS archived \
            FROM conversations \(scope.joinState) WHERE \(scope.visible(patient: patient)) AND \(scope.unread)
            """
        ).first()
        return (
            try row?.decode(column: "inbox", as: Int.self) ?? 0, try row?.decode(column: "archived", as: Int.self) ?? 0
        )
    }
}
