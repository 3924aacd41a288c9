import Fluent
import SQLKit

/// What email notifications need: each user's address and choices, each organisation's sender and wording, and the
/// outbox (`notifications`) that a message's transaction writes to and the delivery worker sends from.
struct AddNotifications: AsyncMigration {
    var name: String { "2026-12-03-01-AddNotifications" }

    private static let columns:
        [(table: String, column: String, type: DatabaseSchema.DataType, default: SQLExpression?)] = [
            ("users", "email", .string, nil),
            ("users", "message_notices", .string, SQLLiteral.string(MessageNotices.immediately.rawValue)),
            ("users", "care_team_summary", .bool, SQLLiteral.boolean(false)),
            ("organizations", "notification_from", .string, nil),
            ("organizations", "notification_text", .string, nil),
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
        try await database.schema("notifications")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id"))
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("kind", .string, .required)
            .field("conversation_id", .uuid, .references("conversations", "id"))
            .field("summary_date", .string)
            .field("open_count", .int)
            .field("overdue_count", .int)
            .field("status", .string, .required)
            .field("created_at", .datetime, .required)
            .field("due_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("claim", .uuid)
            .field("claimed_until", .datetime)
            .field("sent_at", .datetime)
            .field("failure", .string)
            .field("smtp_message_id", .string)
            .unique(on: "user_id", "summary_date")
            .create()
        // Every summary run of an organisation's day, taken by one server.
        try await database.schema("notification_runs")
            .field("organization_id", .uuid, .required, .references("organizations", "id"))
            .field("run_date", .string, .required)
            .field("created_at", .datetime, .required)
            .compositeIdentifier(over: "organization_id", "run_date")
            .create()
        let sql = database.sql()
        try await sql.create(index: "notifications_status_due_at_idx").on("notifications")
            .column("status").column("due_at").run()
        try await sql.create(index: "notifications_user_id_conversation_id_created_at_idx").on("notifications")
            .column("user_id").column("conversation_id").column("created_at").run()
        try await sql.create(index: "notifications_organization_id_status_idx").on("notifications")
            .column("organization_id").column("status").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("notification_runs").delete()
        try await database.schema("notifications").delete()
        for (table, column, _, _) in Self.columns.reversed() {
            try await database.schema(table).deleteField(.string(column)).update()
        }
    }
}
