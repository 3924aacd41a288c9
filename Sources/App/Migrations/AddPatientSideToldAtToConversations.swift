import Fluent
import SQLKit

/// A conversation keeps when a message from the care team last opened a notice window for the patient side, so that
/// the replies inside the next 15 minutes, which make no email of their own, cost the send no outbox statement
/// (`NotificationOutbox.coalescingWindow`).
struct AddPatientSideToldAtToConversations: AsyncMigration {
    var name: String { "2026-12-03-02-AddPatientSideToldAtToConversations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("conversations").field("patient_side_told_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("conversations").deleteField("patient_side_told_at").update()
    }
}
