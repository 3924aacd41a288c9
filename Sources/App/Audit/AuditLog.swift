import Fluent
import Foundation
import SQLKit
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
        let head = try await AuditQueries.lockChainHead(on: db.sql())
        let event = AuditEvent()
        event.sequence = head.sequence + 1
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
        event.previousHash = head.hash
        event.hash = event.computedHash
        // A plain INSERT: Fluent's `create` reflects over the model and escapes every column name each time.
        try await db.sql().raw(
            """
            INSERT INTO audit_events (id, sequence, organization_id, actor_id, acting_for_id, action, record_type, \
            record_id, outcome, address, occurred_at, previous_hash, hash) VALUES (\(bind: UUID()), \
            \(bind: event.sequence), \(bind: event.organizationID), \(bind: event.actorID), \(bind: event.actingForID), \
            \(bind: event.action), \(bind: event.recordType), \(bind: event.recordID), \(bind: event.outcome), \
            \(bind: event.address), \(bind: event.occurredAt), \(bind: event.previousHash), \(bind: event.hash))
            """
        ).run()
        try await AuditQueries.advanceChainHead(to: event.sequence, hash: event.hash, on: db.sql())
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
