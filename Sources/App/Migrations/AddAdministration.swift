import Fluent
import SQLKit

/// What administration needs in the schema: a version on each record an administrator edits (for `If-Match`),
/// retiring message types and pools instead of deleting them (old conversations keep theirs), who may start each type,
/// deactivated users and one-time temporary passwords, and the before/after of each change on its audit event.
/// One column per statement: SQLite alters a table one column at a time.
struct AddAdministration: AsyncMigration {
    var name: String { "2026-12-02-01-AddAdministration" }

    private static let columns:
        [(table: String, column: String, type: DatabaseSchema.DataType, default: SQLExpression?)] = [
            ("organizations", "version", .int, SQLLiteral.numeric("1")),
            ("message_types", "version", .int, SQLLiteral.numeric("1")),
            ("message_types", "retired_at", .datetime, nil),
            ("message_types", "started_by", .string, SQLLiteral.string(MessageType.everyoneStarts)),
            ("pools", "version", .int, SQLLiteral.numeric("1")),
            ("pools", "retired_at", .datetime, nil),
            ("users", "version", .int, SQLLiteral.numeric("1")),
            ("users", "deactivated_at", .datetime, nil),
            ("users", "must_change_password", .bool, SQLLiteral.boolean(false)),
            ("audit_events", "detail", .string, nil),
        ]

    func prepare(on database: any Database) async throws {
        for (table, column, type, value) in Self.columns {
            if let value {
                try await database.schema(table).field(.string(column), type, .required, .sql(.default(value)))
                    .update()
            } else {
                try await database.schema(table).field(.string(column), type).update()
            }
        }
    }

    func revert(on database: any Database) async throws {
        for (table, column, _, _) in Self.columns.reversed() {
            try await database.schema(table).deleteField(.string(column)).update()
        }
    }
}
