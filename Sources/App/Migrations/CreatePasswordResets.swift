import Fluent
import SQLKit

/// "Forgot password?" requests: each waits for its email (`notification_id`), is good for 30 minutes, and is used at
/// most once. The link's secret is made by the server that sends the email, and only its hash is kept.
struct CreatePasswordResets: AsyncMigration {
    var name: String { "2026-12-03-03-CreatePasswordResets" }

    func prepare(on database: any Database) async throws {
        try await database.schema("password_resets")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("notification_id", .uuid, .required, .references("notifications", "id", onDelete: .cascade))
            .field("token_hash", .string)
            .field("requested_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "token_hash")
            .unique(on: "notification_id")
            .create()
        try await database.sql().create(index: "password_resets_user_id_requested_at_idx").on("password_resets")
            .column("user_id").column("requested_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("password_resets").delete()
    }
}
