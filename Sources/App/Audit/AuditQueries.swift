import Fluent
import SQLKit

/// The audit log's raw SQL: appending to the chain, and the triggers that refuse any UPDATE or DELETE of an event.
/// Each statement differs by dialect in this file only.
enum AuditQueries {
    private struct Head: Decodable {
        let sequence: Int64
        let hash: String

        enum CodingKeys: String, CodingKey {
            case sequence = "last_sequence"
            case hash = "last_hash"
        }
    }

    /// Appends the event to the chain inside the caller's transaction: locks the head, so concurrent appends form one
    /// chain and not a fork, inserts the event with the head's hash, and moves the head to it.
    ///
    /// PostgreSQL does it in one statement, hashing in SQL what `AuditEvent.canonicalText` hashes: the head stays
    /// locked until the caller commits, and every write waits for it, so the fewer round trips it is held across, the
    /// more writes per second. On SQLite the one-writer rule (`WriteSerializer`) already makes the transaction
    /// exclusive, and it has no SHA-256 in SQL, so the hash is computed here.
    static func append(_ event: AuditEvent, on sql: any SQLDatabase) async throws {
        if sql.dialect.name == "postgresql" {
            try await sql.raw(
                """
                WITH head AS (
                    SELECT last_sequence + 1 AS sequence, last_hash AS previous_hash FROM audit_chain_heads
                    WHERE id = 1 FOR UPDATE
                ), event AS (
                    INSERT INTO audit_events (id, sequence, organization_id, actor_id, acting_for_id, action,
                        record_type, record_id, outcome, address, occurred_at, detail, previous_hash, hash)
                    SELECT \(bind: event.id!), head.sequence, \(bind: event.organizationID), \(bind: event.actorID),
                        \(bind: event.actingForID), \(bind: event.action), \(bind: event.recordType),
                        \(bind: event.recordID), \(bind: event.outcome), \(bind: event.address), \(bind: event.occurredAt),
                        \(bind: event.detail),
                        head.previous_hash, encode(sha256(convert_to(
                            head.previous_hash || '|' || head.sequence::text || \(bind: event.canonicalTail), 'UTF8')),
                            'hex')
                    FROM head
                    RETURNING sequence, hash
                )
                UPDATE audit_chain_heads SET last_sequence = event.sequence, last_hash = event.hash
                FROM event WHERE audit_chain_heads.id = 1
                """
            ).run()
            return
        }
        guard
            let head = try await sql.raw("SELECT last_sequence, last_hash FROM audit_chain_heads WHERE id = 1")
                .first(decoding: Head.self)
        else { throw AuditChainMissing() }
        event.sequence = head.sequence + 1
        event.previousHash = head.hash
        event.hash = event.computedHash
        try await sql.raw(
            """
            INSERT INTO audit_events (id, sequence, organization_id, actor_id, acting_for_id, action, record_type, \
            record_id, outcome, address, occurred_at, detail, previous_hash, hash) VALUES (\(bind: event.id!), \
            \(bind: event.sequence), \(bind: event.organizationID), \(bind: event.actorID), \(bind: event.actingForID), \
            \(bind: event.action), \(bind: event.recordType), \(bind: event.recordID), \(bind: event.outcome), \
            \(bind: event.address), \(bind: event.occurredAt), \(bind: event.detail), \(bind: event.previousHash), \(bind: event.hash))
            """
        ).run()
        try await sql.raw(
            "UPDATE audit_chain_heads SET last_sequence = \(bind: event.sequence), last_hash = \(bind: event.hash) WHERE id = 1"
        ).run()
    }

    /// The chain head: the last sequence appended and its hash; nil before the migration has made it.
    static func head(on sql: any SQLDatabase) async throws -> (sequence: Int64, hash: String)? {
        guard
            let head = try await sql.raw("SELECT last_sequence, last_hash FROM audit_chain_heads WHERE id = 1")
                .first(decoding: Head.self)
        else { return nil }
        return (head.sequence, head.hash)
    }

    static func installAppendOnlyGuards(on sql: any SQLDatabase) async throws {
        if sql.dialect.name == "postgresql" {
            try await sql.raw(
                """
                CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$
                """
            ).run()
            try await sql.raw(
                """
                CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
                """
            ).run()
        } else {
            for operation in ["UPDATE", "DELETE"] {
                try await sql.raw(
                    """
                    CREATE TRIGGER audit_events_no_\(unsafeRaw: operation.lowercased()) BEFORE \(unsafeRaw: operation)
                    ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
                    """
                ).run()
            }
        }
    }

    static func removeAppendOnlyGuards(on sql: any SQLDatabase) async throws {
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events").run()
            try await sql.raw("DROP FUNCTION IF EXISTS audit_events_append_only()").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_events_no_update").run()
            try await sql.raw("DROP TRIGGER IF EXISTS audit_events_no_delete").run()
        }
    }
}

struct AuditChainMissing: Error {}
