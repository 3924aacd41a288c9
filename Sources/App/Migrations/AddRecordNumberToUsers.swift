import Fluent
import SQLKit

/// The organisation's own number for a patient's record (its medical record number), which the care team sees in the
/// patient panel and the administrator sets. Unique within an organisation; people without one are many.
struct AddRecordNumberToUsers: AsyncMigration {
    var name: String { "2026-12-03-10-AddRecordNumberToUsers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("record_number", .string).update()
        try await database.sql().create(index: "users_organization_id_record_number_idx").unique().on("users")
            .column("organization_id").column("record_number").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql().drop(index: "users_organization_id_record_number_idx").run()
        try await database.schema("users").deleteField("record_number").update()
    }
}
