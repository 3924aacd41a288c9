import Fluent
import Foundation
import Vapor

/// One audited action: who, acting for whom, what, on which record, when, from where, and how it ended. Never holds
/// message text, subjects or names. Each event carries the hash of the one before, so a changed or removed event
/// breaks the chain.
final class AuditEvent: Model, @unchecked Sendable {
    static let schema = "audit_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "sequence") var sequence: Int64
    @OptionalField(key: "organization_id") var organizationID: UUID?
    @OptionalField(key: "actor_id") var actorID: UUID?
    @OptionalField(key: "acting_for_id") var actingForID: UUID?
    @Field(key: "action") var action: String
    @OptionalField(key: "record_type") var recordType: String?
    @OptionalField(key: "record_id") var recordID: UUID?
    @Field(key: "outcome") var outcome: String
    @OptionalField(key: "address") var address: String?
    @Field(key: "occurred_at") var occurredAt: Date
    /// For an administrator's change: the values before and after, as JSON (`AuditChange`). Never message text.
    @OptionalField(key: "detail") var detail: String?
    @Field(key: "previous_hash") var previousHash: String
    @Field(key: "hash") var hash: String

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row: verifying the chain
    /// reads every event. A test checks the list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $sequence, $organizationID, $actorID, $actingForID, $action, $recordType, $recordID, $outcome,
            $address,
            $occurredAt, $detail, $previousHash, $hash,
        ]
    }

    init() {}

    /// The text the hash covers: every field, in a fixed order, with the previous hash first.
    var canonicalText: String {
        "\(previousHash)|\(sequence)\(canonicalTail)"
    }

    /// The canonical text after the previous hash and the sequence, each field preceded by `|`; the detail only when
    /// there is one, so events written before it existed still hash as they did. PostgreSQL appends
    /// it to the chain head it locks (`AuditQueries.append`).
    var canonicalTail: String {
        [
            "", organizationID?.uuidString ?? "", actorID?.uuidString ?? "", actingForID?.uuidString ?? "", action,
            recordType ?? "", recordID?.uuidString ?? "", outcome, address ?? "",
            String(Int64((occurredAt.timeIntervalSince1970 * 1000).rounded())),
        ].joined(separator: "|") + (detail.map { "|" + $0 } ?? "")
    }

    var computedHash: String {
        SHA256.hash(data: Data(canonicalText.utf8)).hex
    }
}
