import Fluent
import SQLKit

struct CreateConversationStates: AsyncMigration {
    var name: String { "2026-11-24-17-CreateConversationStates" }

    func prepare(on database: any Database) async throws {
        try await database.schema("conversation_states")
            .id()
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("last_read_at", .datetime)
            .field("archived_at", .datetime)
            .unique(on: "conversation_id", "user_id")
            .create()
        try await database.sql().create(index: "conversation_states_user_id_idx").on("conversation_states")
            .column("user_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("conversation_states").delete()
    }
}
