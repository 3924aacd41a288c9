import Fluent
import Foundation
import Vapor

/// What is being audited, named for the action: `conversation.read`, `message.send`, `session.sign_in`.
struct AuditEntry: Sendable {
    var action: String
    var recordType: String?
    var recordID: UUID?
    var outcome: String = "success"
}

/// Who and where an audited action came from.
struct AuditContext: Sendable {
    let organizationID: UUID?
    let actorID: UUID?
    let actingForID: UUID?
    let address: String?
}

/// Appends to the audit log. Call it with the same database (transaction) as the change it records, so both are
/// kept or neither is.
enum AuditLog {
    static func append(_ entry: AuditEntry, context: AuditContext, at date: Date, on db: any Database) async throws {
        let event = AuditEvent()
        event.id = UUID()
        event.organizationID = context.organizationID
        event.actorID = context.actorID
        event.actingForID = context.actingForID
        event.action = entry.action
        event.recordType = entry.recordType
        event.recordID = entry.recordID
        event.outcome = entry.outcome
        event.address = context.address
        // Milliseconds, so the hash computed now matches the one recomputed from what the database returns.
        event.occurredAt = Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
        try await AuditQueries.append(event, on: db.sql())
    }

    enum ChainCheck: Equatable {
        case intact(events: Int)
        case broken(atSequence: Int64)
    }

    /// Walks the whole chain in order, recomputing each hash. For admins' export and for tests.
    static func verify(on db: any Database) async throws -> ChainCheck {
        var previous = "genesis"
        var expectedSequence: Int64 = 1
        let events = try await AuditEvent.query(on: db).sort(\.$sequence).all()
        for event in events {
            guard event.sequence == expectedSequence, event.previousHash == previous,
                event.computedHash == event.hash
            else { return .broken(atSequence: event.sequence) }
            previous = event.hash
            expectedSequence += 1
        }
        return .intact(events: events.count)
    }
}
