import Fluent
import SQLKit

struct CreateUsers: AsyncMigration {
    var name: String { "2026-11-24-03-CreateUsers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("username", .string)
            .field("password_hash", .string)
            .field("name", .string, .required)
            .field("title", .string)
            .field("credentials", .string)
            .field("specialty", .string)
            .field("birth_date", .string)
            .field("created_at", .datetime)
            .unique(on: "username")
            .create()
        try await database.sql().create(index: "users_organization_id_name_idx")
            .on("users").column("organization_id").column("name").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
    }
}
