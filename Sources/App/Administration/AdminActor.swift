import Fluent
import Vapor

/// The administrator making a request (or a patient on their Sharing page, acting on their own proxy grants). Every
/// administration query is scoped to `organizationID`: a record of another organisation answers 404, as if it did not
/// exist.
struct AdminActor: Sendable {
    let userID: User.IDValue
    let organizationID: Organization.IDValue
    let now: Date
    let address: String?

    /// Appends the change to the audit log. Call it inside the transaction that makes the change.
    func audit(
        _ action: String, _ recordType: String, _ recordID: UUID?, actingFor patient: User.IDValue? = nil,
        change: AuditChange, on db: any Database
    ) async throws {
        try await AuditLog.append(
            AuditEntry(action: action, recordType: recordType, recordID: recordID, change: change),
            context: AuditContext(
                organizationID: organizationID, actorID: userID, actingForID: patient, address: address),
            at: now, on: db)
    }
}

extension Request {
    /// The signed-in administrator. Anyone else is refused (403): that administration exists is no secret, its data is.
    var adminActor: AdminActor {
        get throws {
            let user = try signedInUser
            guard user.roles.contains(.admin) else { throw AdministrationError.forbidden }
            return AdminActor(
                userID: user.id, organizationID: user.organizationID, now: now, address: clientAddress)
        }
    }

    /// A record id in the path; anything that is not an id names a record that does not exist (404).
    func adminID(_ name: String) throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw AdministrationError.notFound }
        return id
    }
}
