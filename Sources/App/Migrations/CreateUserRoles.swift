import Fluent

struct CreateUserRoles: AsyncMigration {
    var name: String { "2026-11-24-04-CreateUserRoles" }

    func prepare(on database: any Database) async throws {
        try await database.schema("user_roles")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("role", .string, .required)
            .unique(on: "user_id", "role")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_roles").delete()
    }
}
