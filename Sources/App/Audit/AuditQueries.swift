import Fluent
import SQLKit

/// The audit log's raw SQL: the chain head (locked per append, so concurrent appends form one chain, not a fork) and
/// the triggers that refuse any UPDATE or DELETE of an event. Each statement differs by dialect in this file only.
enum AuditQueries {
    struct Head: Decodable {
        let sequence: Int64
        let hash: String

        enum CodingKeys: String, CodingKey {
            case sequence = "last_sequence"
            case hash = "last_hash"
        }
    }

    /// Reads the chain head inside the caller's transaction. PostgreSQL locks the row until commit; on SQLite the
    /// one-writer rule (`WriteSerializer`) already makes the transaction exclusive.
    static func lockChainHead(on sql: any SQLDatabase) async throws -> Head {
        let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
        guard
            let head = try await sql.raw(
                "SELECT last_sequence, last_hash FROM audit_chain_heads WHERE id = 1\(unsafeRaw: lock)"
            ).first(decoding: Head.self)
        else { throw AuditChainMissing() }
        return head
    }

    static func advanceChainHead(to sequence: Int64, hash: String, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE audit_chain_heads SET last_sequence = \(bind: sequence), last_hash = \(bind: hash) WHERE id = 1"
        ).run()
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
