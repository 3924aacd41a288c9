import Fluent
import SQLKit

/// The audit log page reads one organisation's events newest first by sequence, and a range check finds the first
/// and last event of a date range: both by index, so their cost depends on the page, not on years of events.
struct AddAuditEventIndexes: AsyncMigration {
    var name: String { "2026-12-02-30-AddAuditEventIndexes" }

    func prepare(on database: any Database) async throws {
        let sql = database.sql()
        try await sql.create(index: "audit_events_organization_id_sequence_idx").on("audit_events")
            .column("organization_id").column("sequence").run()
        try await sql.create(index: "audit_events_occurred_at_idx").on("audit_events").column("occurred_at").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql()
        try await sql.drop(index: "audit_events_occurred_at_idx").run()
        try await sql.drop(index: "audit_events_organization_id_sequence_idx").run()
    }
}
