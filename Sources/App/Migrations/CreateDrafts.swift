import Fluent
import SQLKit

struct CreateDrafts: AsyncMigration {
    var name: String { "2026-11-24-16-CreateDrafts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("drafts")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("owner_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("patient_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("conversation_id", .uuid, .references("conversations", "id", onDelete: .cascade))
            .field("message_type_id", .uuid, .references("message_types", "id"))
            .field("recipient_provider_id", .uuid, .references("users", "id"))
            .field("recipient_pool_id", .uuid, .references("pools", "id"))
            .field("subject", .string)
            .field("confidential", .bool, .required)
            .field("body", .string)
            .field("version", .int, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            // One reply draft per person per conversation; new-conversation drafts (no conversation) are unlimited.
            .unique(on: "owner_id", "conversation_id")
            .create()
        try await database.sql().create(index: "drafts_owner_id_updated_at_idx").on("drafts")
            .column("owner_id").column("updated_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("drafts").delete()
    }
}
