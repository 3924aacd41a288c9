import Fluent

struct CreateOrganizationHolidays: AsyncMigration {
    var name: String { "2026-11-24-02-CreateOrganizationHolidays" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organization_holidays")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("date", .string, .required)
            .field("name", .string, .required)
            .unique(on: "organization_id", "date")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organization_holidays").delete()
    }
}
