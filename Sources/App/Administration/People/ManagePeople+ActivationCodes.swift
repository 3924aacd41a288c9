import Domain
import Foundation

extension ManagePeople {
    /// Issues an activation code for a patient who has no account yet (docs/accounts.md), voiding any earlier one.
    /// Conditional on the version the administrator saw, like every change to a person, and audited.
    func activationCode(_ id: UUID, version: Int, delivery: ActivationCodes.Delivery) async throws
        -> AdminActivationCodeResponse
    {
        guard let user = try await queries.person(id) else { throw AdministrationError.notFound }
        guard user.version == version else { throw AdministrationError.versionConflict }
        let refusal: (code: String, message: String, field: String)? =
            if !(try await queries.roles(of: id)).contains(.patient) {
                ("not_a_patient", "Activation codes are for patients.", "id")
            } else if user.deactivatedAt != nil {
                ("deactivated", "Reactivate this account before issuing a code.", "id")
            } else if user.username != nil {
                (
                    "has_account",
                    "This patient already has an account. Set a temporary password, or they can use Forgot password.",
                    "username"
                )
            } else if user.birthDate == nil {
                ("no_birth_date", "Add the patient's date of birth first: signing up asks for it.", "birthDate")
            } else if delivery == .email && user.email == nil {
                ("no_email", "This patient has no email address on file. Issue a code to print instead.", "delivery")
            } else {
                nil
            }
        if let refusal {
            throw AdministrationError(.unprocessableEntity, refusal.code, refusal.message, field: refusal.field)
        }
        let (actor, organizationID) = (actor, actor.organizationID)
        let issued = try await writes.transaction(on: db) { db in
            let issued = try await ActivationCodes.issue(
                for: id, organization: organizationID, by: actor.userID, delivery: delivery, at: actor.now,
                on: db.sql())
            try await actor.audit(
                "admin.person.activation_code", "user", id,
                change: AuditChange(before: nil, after: ["activationCode": "issued, \(delivery.rawValue)"]), on: db)
            return issued
        }
        return AdminActivationCodeResponse(
            person: try await person(id), delivery: delivery.rawValue,
            activationCode: issued.code.map(PrintableCode.display), expiresAt: issued.expiresAt)
    }
}
