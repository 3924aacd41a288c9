import Fluent
import SQLKit

/// Messages are numbered within their conversation as they are inserted, and read state, archiving, unread counts and
/// "Read by care team" go by those numbers instead of clock readings, which commit out of order. Each conversation
/// keeps its latest number overall and per side, and which side started it.
struct AddSequencesToMessaging: AsyncMigration {
    var name: String { "2026-12-01-01-AddSequencesToMessaging" }

    private static let conversationColumns = [
        "last_message_seq", "last_patient_seq", "last_care_team_seq", "care_team_read_seq",
    ]

    func prepare(on database: any Database) async throws {
        let sql = database.sql()
        // One column per ALTER TABLE: SQLite adds no more at a time.
        try await database.schema("messages").field("seq", .int, .required, .sql(.default(0))).update()
        for column in Self.conversationColumns {
            try await database.schema("conversations").field(.string(column), .int, .required, .sql(.default(0)))
                .update()
        }
        try await database.schema("conversations").field("started_side", .string, .required, .sql(.default("patient")))
            .update()
        try await database.schema("conversation_states").field("last_read_seq", .int, .required, .sql(.default(0)))
            .update()
        try await database.schema("conversation_states").field("archived_seq", .int).update()

        // Number what is there in the order it was written.
        try await sql.raw(
            """
            UPDATE messages SET seq = (SELECT COUNT(*) FROM messages earlier \
            WHERE earlier.conversation_id = messages.conversation_id AND (earlier.created_at < messages.created_at \
            OR (earlier.created_at = messages.created_at AND earlier.id <= messages.id)))
            """
        ).run()
        try await sql.raw(
            """
            UPDATE conversations SET \
            last_message_seq = COALESCE((SELECT MAX(seq) FROM messages WHERE conversation_id = conversations.id), 0), \
            last_patient_seq = COALESCE((SELECT MAX(seq) FROM messages WHERE conversation_id = conversations.id \
            AND side <> 'care_team'), 0), \
            last_care_team_seq = COALESCE((SELECT MAX(seq) FROM messages WHERE conversation_id = conversations.id \
            AND side = 'care_team'), 0), \
            started_side = COALESCE((SELECT side FROM messages WHERE conversation_id = conversations.id AND seq = 1), \
            'patient')
            """
        ).run()
        try await sql.raw(
            """
            UPDATE conversations SET care_team_read_seq = COALESCE((SELECT MAX(seq) FROM messages \
            WHERE conversation_id = conversations.id AND created_at <= conversations.care_team_read_at), 0) \
            WHERE care_team_read_at IS NOT NULL
            """
        ).run()
        try await sql.raw(
            """
            UPDATE conversation_states SET last_read_seq = COALESCE((SELECT MAX(seq) FROM messages \
            WHERE conversation_id = conversation_states.conversation_id \
            AND created_at <= conversation_states.last_read_at), 0) WHERE last_read_at IS NOT NULL
            """
        ).run()
        try await sql.raw(
            """
            UPDATE conversation_states SET archived_seq = (SELECT last_message_seq FROM conversations \
            WHERE conversations.id = conversation_states.conversation_id) WHERE archived_at IS NOT NULL
            """
        ).run()
        // A conversation's messages in order, and no number twice. It replaces the index by time, which nothing reads
        // any more and every insert had to keep up.
        try await sql.create(index: "messages_conversation_id_seq_idx").on("messages").column("conversation_id")
            .column("seq").unique().run()
        try await sql.drop(index: "messages_conversation_id_created_at_idx").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql().create(index: "messages_conversation_id_created_at_idx").on("messages")
            .column("conversation_id").column("created_at").run()
        try await database.sql().drop(index: "messages_conversation_id_seq_idx").run()
        try await database.schema("messages").deleteField("seq").update()
        for column in Self.conversationColumns + ["started_side"] {
            try await database.schema("conversations").deleteField(.string(column)).update()
        }
        for column in ["last_read_seq", "archived_seq"] {
            try await database.schema("conversation_states").deleteField(.string(column)).update()
        }
    }
}
