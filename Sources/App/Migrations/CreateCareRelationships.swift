import Fluent
import SQLKit

struct CreateCareRelationships: AsyncMigration {
    var name: String { "2026-11-24-07-CreateCareRelationships" }

    func prepare(on database: any Database) async throws {
        try await database.schema("care_relationships")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("patient_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("provider_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("active_from", .string, .required)
            .field("active_until", .string)
            .unique(on: "patient_id", "provider_id", "active_from")
            .create()
        // A provider's patients; the patient's side is served by the unique constraint's leading column.
        try await database.sql().create(index: "care_relationships_provider_id_idx")
            .on("care_relationships").column("provider_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("care_relationships").delete()
    }
}
