import Fluent

struct CreateOrganizations: AsyncMigration {
    var name: String { "2026-11-24-01-CreateOrganizations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organizations")
            .id()
            .field("name", .string, .required)
            .field("time_zone", .string, .required)
            .field("response_business_days", .int, .required)
            .field("messaging_enabled", .bool, .required)
            .field("messaging_account_types", .string, .required)
            .field("reply_notice", .string, .required)
            .field("urgent_notice", .string, .required)
            .field("attachment_max_files", .int, .required)
            .field("attachment_max_file_bytes", .int, .required)
            .field("attachment_max_message_bytes", .int, .required)
            .field("attachment_content_types", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organizations").delete()
    }
}
