import Fluent
import Foundation
import Vapor

/// What is being audited, named for the action: `conversation.read`, `message.send`, `session.sign_in`.
struct AuditEntry: Sendable {
    var action: String
    var recordType: String?
    var recordID: UUID?
    var outcome: String = "success"
    /// An administrator's change: what it was before and after (`AuditChange`).
    var change: AuditChange? = nil
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
        event.detail = entry.change?.json
        // Milliseconds, so the hash computed now matches the one recomputed from what the database returns.
        event.occurredAt = Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
        try await AuditQueries.append(event, on: db.sql())
    }

    enum ChainCheck: Equatable {
        case intact(events: Int)
        case broken(atSequence: Int64)
    }

    /// Walks the whole chain in order, recomputing each hash. For scripts and tests; `verify(on:range:)` says more.
    static func verify(on db: any Database) async throws -> ChainCheck {
        let report = try await verify(on: db, range: AuditChainRange())
        guard let broken = report.broken else { return .intact(events: report.events) }
        return .broken(atSequence: broken.sequence)
    }

    /// Walks the chain, or the part of it whose events occurred in `range`, in batches by sequence, so a year of events
    /// never sits in memory. Each event must hash to its own hash, name the hash of the event before it (for the
    /// first of a range, the one just before the range), and follow it with the next sequence number: a changed,
    /// removed or inserted event shows. Checking to the end, the chain head must be reached too, so events removed
    /// from the end show as well.
    static func verify(on db: any Database, range: AuditChainRange, batchSize: Int = 500) async throws
        -> AuditChainReport
    {
        let head = try await AuditQueries.head(on: db.sql())
        guard let bounds = try await sequenceBounds(of: range, on: db) else { return AuditChainReport(events: 0) }
        var expectedSequence = bounds.lowerBound
        var previousHash = "genesis"
        if bounds.lowerBound > 1 {
            guard
                let before = try await AuditEvent.query(on: db).filter(\.$sequence == bounds.lowerBound - 1).first()
            else {
                return AuditChainReport(
                    events: 0, broken: .init(sequence: bounds.lowerBound - 1, id: nil, occurredAt: nil))
            }
            previousHash = before.hash
        }
        var checked = 0
        while expectedSequence <= bounds.upperBound {
            let batch = try await AuditEvent.query(on: db)
                .filter(\.$sequence >= expectedSequence).filter(\.$sequence <= bounds.upperBound)
                .sort(\.$sequence).limit(batchSize).all()
            if batch.isEmpty { break }
            for event in batch {
                guard event.sequence == expectedSequence else {
                    // A gap: the event that should be here is gone, so the one found in its place is named.
                    return AuditChainReport(events: checked, broken: .init(event))
                }
                guard event.previousHash == previousHash, event.computedHash == event.hash else {
                    return AuditChainReport(events: checked, broken: .init(event))
                }
                previousHash = event.hash
                expectedSequence += 1
                checked += 1
            }
        }
        // To the end of the log: every event up to the head read before the walk must have been there.
        if range.to == nil, let head, head.sequence > 0 {
            if expectedSequence <= head.sequence {
                return AuditChainReport(
                    events: checked, broken: .init(sequence: expectedSequence, id: nil, occurredAt: nil))
            }
            if let last = try await AuditEvent.query(on: db).filter(\.$sequence == head.sequence).first(),
                last.hash != head.hash
            {
                return AuditChainReport(events: checked, broken: .init(last))
            }
        }
        return AuditChainReport(events: checked)
    }

    /// The sequence numbers of the first and last events in `range`, nil when none occurred in it. Without bounds:
    /// from 1 to the highest sequence there is.
    private static func sequenceBounds(of range: AuditChainRange, on db: any Database) async throws
        -> ClosedRange<Int64>?
    {
        var first: Int64 = 1
        if let from = range.from {
            guard let found = try await AuditEvent.query(on: db).filter(\.$occurredAt >= from).min(\.$sequence)
            else { return nil }
            first = found
        }
        let lastQuery = AuditEvent.query(on: db)
        if let to = range.to { lastQuery.filter(\.$occurredAt < to) }
        guard let last = try await lastQuery.max(\.$sequence), last >= first else { return nil }
        return first...last
    }
}

/// Which events to verify: those that occurred from `from` (inclusive) to `to` (exclusive); nil is open.
struct AuditChainRange: Sendable, Equatable {
    var from: Date?
    var to: Date?
}

/// What a verification found: how many events hash as they should, and the first that does not.
struct AuditChainReport: Sendable, Equatable {
    struct BrokenEvent: Sendable, Equatable {
        let sequence: Int64
        /// nil when the event is missing altogether.
        let id: UUID?
        let occurredAt: Date?

        init(sequence: Int64, id: UUID?, occurredAt: Date?) {
            self.sequence = sequence
            self.id = id
            self.occurredAt = occurredAt
        }

        init(_ event: AuditEvent) {
            self.init(sequence: event.sequence, id: event.id, occurredAt: event.occurredAt)
        }
    }

    /// Events checked and found intact (before the break, when there is one).
    var events: Int
    var broken: BrokenEvent? = nil

    var intact: Bool { broken == nil }
}
