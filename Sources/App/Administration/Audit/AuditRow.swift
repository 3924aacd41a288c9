import Foundation

/// One event as an administrator sees it: the people it names from their own organisation, the action in words, and
/// for an administrator's change each field that changed. Never message text: events hold none.
struct AuditRow: Sendable {
    struct FieldChange: Sendable, Equatable, Codable {
        let field: String
        let before: String?
        let after: String?
    }

    let sequence: Int64
    let id: UUID
    let occurredAt: Date
    let actorID: UUID?
    let actor: AuditPerson?
    let actingForID: UUID?
    let actingFor: AuditPerson?
    let action: String
    let recordType: String?
    let recordID: UUID?
    let outcome: String
    let address: String?
    let change: AuditChange?
    let hash: String

    init(_ event: AuditEvent, people: [UUID: AuditPerson]) {
        sequence = event.sequence
        id = event.id ?? UUID()
        occurredAt = event.occurredAt
        actorID = event.actorID
        actor = event.actorID.flatMap { people[$0] }
        actingForID = event.actingForID
        actingFor = event.actingForID.flatMap { people[$0] }
        action = event.action
        recordType = event.recordType
        recordID = event.recordID
        outcome = event.outcome
        address = event.address
        // Only a well-formed change is shown: the detail column is never passed on as it is.
        change = AuditChange(json: event.detail)
        hash = event.hash
    }

    var actionText: String { AuditActions.describe(action) }

    /// Each field that changed, before → after.
    var changes: [FieldChange] {
        guard let change else { return [] }
        return change.changedFields.map { FieldChange(field: $0, before: change.before?[$0], after: change.after?[$0]) }
    }
}
