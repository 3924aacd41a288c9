import Fluent
import SQLKit

/// Two-step verification (docs/accounts.md): each person's authenticator secret, encrypted, with the last time step
/// whose code was accepted (so no code works twice); their recovery codes, hashed; and each session's progress
/// through it: `none` (a password was enough), `pending` (the password was right, the code is still to come), or
/// `passed`.
struct AddTwoFactor: AsyncMigration {
    var name: String { "2026-12-03-07-AddTwoFactor" }

    func prepare(on database: any Database) async throws {
        try await database.schema("two_factor_secrets")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("secret_sealed", .string, .required)
            .field("created_at", .datetime, .required)
            .field("confirmed_at", .datetime)
            .field("last_used_step", .int64)
            .unique(on: "user_id")
            .create()
        try await database.schema("recovery_codes")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("used_at", .datetime)
            .create()
        try await database.sql().create(index: "recovery_codes_user_id_idx").on("recovery_codes").column("user_id")
            .run()
        try await database.schema("user_sessions")
            .field("second_factor", .string, .required, .sql(.default("none")))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_sessions").deleteField("second_factor").update()
        try await database.schema("recovery_codes").delete()
        try await database.schema("two_factor_secrets").delete()
    }
}
