import Fluent
import SQLKit

struct CreateAttachments: AsyncMigration {
    var name: String { "2026-11-24-20-CreateAttachments" }

    func prepare(on database: any Database) async throws {
        try await database.schema("attachments")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("uploader_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            // A discarded draft takes its attachments with it; a sent message keeps its own for good.
            .field("draft_id", .uuid, .references("drafts", "id", onDelete: .cascade))
            .field("message_id", .uuid, .references("messages", "id", onDelete: .cascade))
            .field("blob_sha256", .string, .required)
            .field("filename", .string, .required)
            .field("content_type", .string, .required)
            .field("size_bytes", .int64, .required)
            .field("created_at", .datetime, .required)
            .create()
        let sql = database.sql()
        try await sql.create(index: "attachments_draft_id_idx").on("attachments").column("draft_id").run()
        try await sql.create(index: "attachments_message_id_idx").on("attachments").column("message_id").run()
        try await sql.create(index: "attachments_blob_sha256_idx").on("attachments").column("blob_sha256").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("attachments").delete()
    }
}
