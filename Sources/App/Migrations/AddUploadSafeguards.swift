import Fluent
import SQLKit

/// Each organisation sets how much attachment storage one person may use; an attachment records whether location data
/// was taken out of it, so the sender is told wherever the file is listed. An index on the uploader keeps the quota's
/// sum cheap.
struct AddUploadSafeguards: AsyncMigration {
    var name: String { "2026-12-01-03-AddUploadSafeguards" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organizations")
            .field("attachment_quota_bytes", .int64, .required, .sql(.default(Organization.defaultAttachmentQuota)))
            .update()
        try await database.schema("attachments")
            .field("location_removed", .bool, .required, .sql(.default(false)))
            .update()
        try await (database as! any SQLDatabase).create(index: "attachments_uploader_idx").on("attachments")
            .column("uploader_id").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "attachments_uploader_idx").run()
        try await database.schema("attachments").deleteField("location_removed").update()
        try await database.schema("organizations").deleteField("attachment_quota_bytes").update()
    }
}
