import Fluent
import SQLKit

/// Activation codes an administrator issues for a patient record, for the patient to sign up with (docs/accounts.md).
/// Only a code's hash is kept; an emailed code has none until the server sending the email makes it.
struct CreateActivationCodes: AsyncMigration {
    var name: String { "2026-12-03-04-CreateActivationCodes" }

    func prepare(on database: any Database) async throws {
        try await database.schema("activation_codes")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id"))
            .field("patient_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("code_hash", .string)
            .field("notification_id", .uuid, .references("notifications", "id", onDelete: .setNull))
            .field("issued_by_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("issued_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("voided_at", .datetime)
            .field("failed_attempts", .int, .required)
            .unique(on: "code_hash")
            .create()
        try await database.sql().create(index: "activation_codes_patient_id_idx").on("activation_codes")
            .column("patient_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("activation_codes").delete()
    }
}
