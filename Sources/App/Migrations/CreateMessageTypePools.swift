import Fluent

struct CreateMessageTypePools: AsyncMigration {
    var name: String { "2026-11-24-10-CreateMessageTypePools" }

    func prepare(on database: any Database) async throws {
        try await database.schema("message_type_pools")
            .id()
            .field("message_type_id", .uuid, .required, .references("message_types", "id", onDelete: .cascade))
            .field("pool_id", .uuid, .required, .references("pools", "id", onDelete: .cascade))
            .unique(on: "message_type_id", "pool_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("message_type_pools").delete()
    }
}
