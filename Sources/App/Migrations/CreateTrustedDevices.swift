import Fluent
import SQLKit

/// Browsers a person has signed in from (OWASP's device cookies): their failed attempts are counted apart from
/// everyone else's, so a stranger's guesses cannot lock them out.
struct CreateTrustedDevices: AsyncMigration {
    var name: String { "2026-12-01-04-CreateTrustedDevices" }

    func prepare(on database: any Database) async throws {
        try await database.schema("trusted_devices")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.schema("sign_in_attempts").field("device_id", .uuid).update()
        try await database.sql().create(index: "sign_in_attempts_device_idx")
            .on("sign_in_attempts").column("device_id").column("attempted_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql().drop(index: "sign_in_attempts_device_idx").run()
        try await database.schema("sign_in_attempts").deleteField("device_id").update()
        try await database.schema("trusted_devices").delete()
    }
}
