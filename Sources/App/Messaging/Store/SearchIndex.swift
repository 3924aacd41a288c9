import Foundation
import SQLKit

/// The full-text index of conversations: each conversation's subject and the plain text of its messages, kept by the
/// database's own full-text search and written in the same transaction as the message.
///
/// - SQLite: an FTS5 table `conversation_search (subject, body)` whose rowid is `conversations.search_rowid`, with
///   Porter stemming and diacritics folded.
/// - PostgreSQL: `conversation_search (conversation_id, document tsvector)` with a GIN index, English configuration.
///
/// A search is a condition on `conversations` (`matches`), so it is filtered by the actor's scope and ordered and paged
/// as the folders are: the database starts from whichever of the index and the actor's conversations is smaller.
struct SearchIndex: Sendable {
    let sql: any SQLDatabase

    private var sqlite: Bool { sql.dialect.name == "sqlite" }

    /// The words of what someone typed, as the index sees words: letters and digits, lower case, at most 12 of them,
    /// each cut at 64 characters. Everything else separates words, so nothing typed is ever search syntax.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.prefix(12).map { String($0.prefix(64)) }
    }

    // MARK: Keeping it up to date

    /// The extra column a new conversation's INSERT sets on SQLite (the index's rowid), and its value.
    var conversationColumn: (name: SQLQueryString, value: SQLQueryString)? {
        sqlite ? (", search_rowid", ", (SELECT COALESCE(MAX(search_rowid), 0) + 1 FROM conversations)") : nil
    }

    /// Indexes a new conversation with its first message.
    func add(_ conversation: UUID, subject: String?, text: String) async throws {
        if sqlite {
            try await sql.raw(
                """
                INSERT INTO conversation_search (rowid, subject, body) SELECT search_rowid, \(bind: subject ?? ""), \
                \(bind: text) FROM conversations WHERE id = \(bind: conversation)
                """
            ).run()
        } else {
            try await sql.raw(
                """
                INSERT INTO conversation_search (conversation_id, document) VALUES (\(bind: conversation), \
                to_tsvector('english', \(bind: (subject ?? "") + "\n" + text)))
                """
            ).run()
        }
    }

    /// Adds a message's text to its conversation's entry.
    func append(_ conversation: UUID, text: String) async throws {
        if sqlite {
            try await sql.raw(
                """
                UPDATE conversation_search SET body = body || char(10) || \(bind: text) \
                WHERE rowid = (SELECT search_rowid FROM conversations WHERE id = \(bind: conversation))
                """
            ).run()
        } else {
            try await sql.raw(
                """
                UPDATE conversation_search SET document = document || to_tsvector('english', \(bind: text)) \
                WHERE conversation_id = \(bind: conversation)
                """
            ).run()
        }
    }

    /// Indexes a conversation's new subject.
    func changeSubject(_ conversation: UUID, to subject: String?) async throws {
        if sqlite {
            try await sql.raw(
                """
                UPDATE conversation_search SET subject = \(bind: subject ?? "") \
                WHERE rowid = (SELECT search_rowid FROM conversations WHERE id = \(bind: conversation))
                """
            ).run()
        } else {
            try await sql.raw(
                """
                UPDATE conversation_search SET document = to_tsvector('english', \(bind: subject ?? "") || \
                E'\\n' || COALESCE((SELECT string_agg(body_text, E'\\n' ORDER BY seq) FROM messages \
                WHERE conversation_id = \(bind: conversation)), '')) WHERE conversation_id = \(bind: conversation)
                """
            ).run()
        }
    }

    /// Indexes every conversation afresh from its messages: after the migration that adds the index, and after the
    /// benchmark's bulk load.
    func rebuild() async throws {
        if sqlite {
            try await sql.raw("DELETE FROM conversation_search").run()
            try await sql.raw("UPDATE conversations SET search_rowid = rowid").run()
            try await sql.raw(
                """
                INSERT INTO conversation_search (rowid, subject, body) SELECT conversations.search_rowid, \
                COALESCE(conversations.subject, ''), COALESCE((SELECT group_concat(body_text, char(10)) FROM \
                (SELECT body_text FROM messages WHERE conversation_id = conversations.id ORDER BY seq)), '') \
                FROM conversations
                """
            ).run()
        } else {
            try await sql.raw("DELETE FROM conversation_search").run()
            try await sql.raw(
                """
                INSERT INTO conversation_search (conversation_id, document) SELECT conversations.id, \
                to_tsvector('english', COALESCE(conversations.subject, '') || E'\\n' || COALESCE(\
                (SELECT string_agg(body_text, E'\\n' ORDER BY seq) FROM messages \
                WHERE conversation_id = conversations.id), '')) FROM conversations
                """
            ).run()
        }
    }

    // MARK: Searching

    /// Conversations whose subject or messages contain every one of `words` (stemmed: "refills" finds "refill").
    func matches(_ words: [String]) -> SQLQueryString {
        if sqlite {
            let expression = words.map { "\"\($0)\"" }.joined(separator: " ")
            return """
                EXISTS (SELECT 1 FROM conversation_search WHERE conversation_search MATCH \(bind: expression) \
                AND conversation_search.rowid = conversations.search_rowid)
                """
        }
        return """
            EXISTS (SELECT 1 FROM conversation_search WHERE conversation_search.conversation_id = conversations.id \
            AND conversation_search.document @@ plainto_tsquery('english', \(bind: words.joined(separator: " "))))
            """
    }
}
