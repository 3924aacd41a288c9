import Fluent
import SQLKit

struct CreateConversationEvents: AsyncMigration {
    var name: String { "2026-11-24-15-CreateConversationEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("conversation_events")
            .id()
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("actor_id", .uuid, .required, .references("users", "id"))
            .field("field", .string, .required)
            .field("from_value", .string)
            .field("to_value", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await database.sql().create(index: "conversation_events_conversation_id_idx").on("conversation_events")
            .column("conversation_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("conversation_events").delete()
    }
}
