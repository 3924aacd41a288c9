import Fluent
import SQLKit

/// The audit log and its chain head. Triggers make the log append-only in the database itself, so not even a bug
/// in Carebox can edit or delete an event.
struct CreateAuditEvents: AsyncMigration {
    var name: String { "2026-11-24-18-CreateAuditEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("audit_events")
            .id()
            .field("sequence", .int64, .required)
            .field("organization_id", .uuid, .references("organizations", "id"))
            .field("actor_id", .uuid)
            .field("acting_for_id", .uuid)
            .field("action", .string, .required)
            .field("record_type", .string)
            .field("record_id", .uuid)
            .field("outcome", .string, .required)
            .field("address", .string)
            .field("occurred_at", .datetime, .required)
            .field("previous_hash", .string, .required)
            .field("hash", .string, .required)
            .unique(on: "sequence")
            .create()
        try await database.schema("audit_chain_heads")
            .field("id", .int, .identifier(auto: false))
            .field("last_sequence", .int64, .required)
            .field("last_hash", .string, .required)
            .create()
        let sql = database.sql()
        try await sql.raw("INSERT INTO audit_chain_heads (id, last_sequence, last_hash) VALUES (1, 0, 'genesis')").run()
        try await AuditQueries.installAppendOnlyGuards(on: sql)
    }

    func revert(on database: any Database) async throws {
        try await AuditQueries.removeAppendOnlyGuards(on: database.sql())
        try await database.schema("audit_chain_heads").delete()
        try await database.schema("audit_events").delete()
    }
}
