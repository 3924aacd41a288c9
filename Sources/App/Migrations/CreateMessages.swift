import Fluent
import SQLKit

struct CreateMessages: AsyncMigration {
    var name: String { "2026-11-24-14-CreateMessages" }

    func prepare(on database: any Database) async throws {
        try await database.schema("messages")
            .id()
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("author_id", .uuid, .required, .references("users", "id"))
            .field("side", .string, .required)
            .field("body", .string, .required)
            .field("body_text", .string, .required)
            .field("created_at", .datetime, .required)
            .field("idempotency_key", .string)
            // A retried send with the same key finds the first message instead of making a second.
            .unique(on: "author_id", "idempotency_key")
            .create()
        try await database.sql().create(index: "messages_conversation_id_created_at_idx").on("messages")
            .column("conversation_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("messages").delete()
    }
}
