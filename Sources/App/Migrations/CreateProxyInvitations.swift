import Fluent
import SQLKit

/// A patient's invitations for someone to act for them (docs/accounts.md, "Sharing"): sent by email, accepted once
/// through the link within 14 days. The link's secret is made by the server that sends the email; only its hash is kept.
struct CreateProxyInvitations: AsyncMigration {
    var name: String { "2026-12-03-05-CreateProxyInvitations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("proxy_invitations")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id"))
            .field("patient_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("relationship", .string, .required)
            .field("token_hash", .string)
            .field("notification_id", .uuid, .references("notifications", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("accepted_at", .datetime)
            .field("accepted_by_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("cancelled_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.sql().create(index: "proxy_invitations_patient_id_idx").on("proxy_invitations")
            .column("patient_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("proxy_invitations").delete()
    }
}
