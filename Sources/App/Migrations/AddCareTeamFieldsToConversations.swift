import Fluent
import SQLKit

/// Who on the care team has a conversation, when it was done, when the care team last read it, and when each side
/// last wrote: what the In Basket filters and sorts by.
struct AddCareTeamFieldsToConversations: AsyncMigration {
    var name: String { "2026-11-24-21-AddCareTeamFieldsToConversations" }

    func prepare(on database: any Database) async throws {
        // One column per ALTER TABLE: SQLite adds no more at a time.
        try await database.schema("conversations").field("assignee_id", .uuid, .references("users", "id")).update()
        for column in ["done_at", "care_team_read_at", "last_patient_message_at", "last_care_team_message_at"] {
            try await database.schema("conversations").field(.string(column), .datetime).update()
        }
        try await database.sql().create(index: "conversations_assignee_id_last_message_at_idx").on("conversations")
            .column("assignee_id").column("last_message_at").column("id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql().drop(index: "conversations_assignee_id_last_message_at_idx").run()
        for field in [
            "assignee_id", "done_at", "care_team_read_at", "last_patient_message_at", "last_care_team_message_at",
        ] {
            try await database.schema("conversations").deleteField(.string(field)).update()
        }
    }
}
