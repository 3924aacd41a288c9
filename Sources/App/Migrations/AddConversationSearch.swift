import Fluent
import SQLKit

/// The full-text index of conversations (`SearchIndex`): an FTS5 table on SQLite, keyed by a new
/// `conversations.search_rowid`; a `tsvector` table with a GIN index on PostgreSQL. Existing conversations are indexed.
struct AddConversationSearch: AsyncMigration {
    var name: String { "2026-12-03-09-AddConversationSearch" }

    func prepare(on database: any Database) async throws {
        let sql = database.sql()
        if sql.dialect.name == "sqlite" {
            try await sql.raw("ALTER TABLE conversations ADD COLUMN search_rowid INTEGER").run()
            try await sql.raw(
                "CREATE UNIQUE INDEX conversations_search_rowid_idx ON conversations (search_rowid)"
            ).run()
            try await sql.raw(
                """
                CREATE VIRTUAL TABLE conversation_search USING fts5(subject, body, \
                tokenize = 'porter unicode61 remove_diacritics 2')
                """
            ).run()
        } else {
            try await sql.raw(
                """
                CREATE TABLE conversation_search (conversation_id UUID PRIMARY KEY \
                REFERENCES conversations (id) ON DELETE CASCADE, document TSVECTOR NOT NULL)
                """
            ).run()
            try await sql.raw(
                "CREATE INDEX conversation_search_document_idx ON conversation_search USING GIN (document)"
            ).run()
        }
        try await SearchIndex(sql: sql).rebuild()
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql()
        try await sql.raw("DROP TABLE conversation_search").run()
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DROP INDEX conversations_search_rowid_idx").run()
            try await sql.raw("ALTER TABLE conversations DROP COLUMN search_rowid").run()
        }
    }
}
