import Fluent

struct CreateMessageTypes: AsyncMigration {
    var name: String { "2026-11-24-09-CreateMessageTypes" }

    func prepare(on database: any Database) async throws {
        try await database.schema("message_types")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("position", .int, .required)
            .field("offers_care_team", .bool, .required)
            .field("allows_confidentiality", .bool, .required)
            .field("allows_attachments", .bool, .required)
            .unique(on: "organization_id", "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("message_types").delete()
    }
}
