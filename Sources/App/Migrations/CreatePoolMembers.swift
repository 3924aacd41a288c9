import Fluent
import SQLKit

struct CreatePoolMembers: AsyncMigration {
    var name: String { "2026-11-24-06-CreatePoolMembers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("pool_members")
            .id()
            .field("pool_id", .uuid, .required, .references("pools", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "pool_id", "user_id")
            .create()
        // "Which pools am I in?" is asked on every care-team page.
        try await database.sql().create(index: "pool_members_user_id_idx").on("pool_members").column("user_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("pool_members").delete()
    }
}
