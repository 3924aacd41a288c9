import Fluent
import SQLKit

struct CreateUserSessions: AsyncMigration {
    var name: String { "2026-11-24-11-CreateUserSessions" }

    func prepare(on database: any Database) async throws {
        try await database.schema("user_sessions")
            .id()
            .field("token_hash", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.sql().create(index: "user_sessions_user_id_idx").on("user_sessions").column("user_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_sessions").delete()
    }
}
