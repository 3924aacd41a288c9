import Fluent
import SQLKit

struct CreateProxyGrants: AsyncMigration {
    var name: String { "2026-11-24-08-CreateProxyGrants" }

    func prepare(on database: any Database) async throws {
        try await database.schema("proxy_grants")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("proxy_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("patient_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("relationship", .string, .required)
            .field("active_from", .string, .required)
            .field("active_until", .string)
            .unique(on: "proxy_id", "patient_id", "active_from")
            .create()
        try await database.sql().create(index: "proxy_grants_patient_id_idx")
            .on("proxy_grants").column("patient_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("proxy_grants").delete()
    }
}
