import Fluent

struct CreatePools: AsyncMigration {
    var name: String { "2026-11-24-05-CreatePools" }

    func prepare(on database: any Database) async throws {
        try await database.schema("pools")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .unique(on: "organization_id", "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("pools").delete()
    }
}
