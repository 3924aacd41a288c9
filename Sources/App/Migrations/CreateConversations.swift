import Fluent
import SQLKit

struct CreateConversations: AsyncMigration {
    var name: String { "2026-11-24-13-CreateConversations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("conversations")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("patient_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("message_type_id", .uuid, .required, .references("message_types", "id"))
            .field("subject", .string)
            .field("recipient_provider_id", .uuid, .references("users", "id"))
            .field("recipient_pool_id", .uuid, .references("pools", "id"))
            .field("confidential", .bool, .required)
            .field("status", .string, .required)
            .field("started_by_id", .uuid, .required, .references("users", "id"))
            .field("created_at", .datetime, .required)
            .field("last_message_at", .datetime, .required)
            .field("expected_reply_by", .string, .required)
            .field("version", .int, .required)
            .create()
        // The inbox of each side, newest first: a patient's conversations, a provider's, a pool's.
        let sql = database.sql()
        for column in ["patient_id", "recipient_provider_id", "recipient_pool_id"] {
            try await sql.create(index: "conversations_\(column)_last_message_at_idx").on("conversations")
                .column(column).column("last_message_at").column("id").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("conversations").delete()
    }
}
