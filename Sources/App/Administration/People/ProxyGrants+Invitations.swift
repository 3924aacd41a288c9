import Foundation
import SQLKit

extension ProxyGrants {
    /// Invites someone by email to act for the patient: the invitation a patient sends from Sharing, sent by an
    /// administrator (for a patient who asked at the desk, or a minor, whose grants the clinic makes). The invitee
    /// accepts it like any other (docs/accounts.md). Audited with the administrator as actor.
    func invite(patient: UUID, email: String?, relationship: String?, emailIsOn: Bool) async throws
        -> AdminProxyInvitationResponse
    {
        let person = try await CareRelationships(people: people).patient(patient)
        guard person.active else {
            throw AdministrationError(
                .unprocessableEntity, "deactivated", "Reactivate this patient before inviting a proxy.", field: "id")
        }
        guard let email = try? NotificationPreferences.cleanEmail(email) else {
            throw AdministrationError.invalid(
                "email", "Enter the email address of the person to invite, such as name@example.org.")
        }
        guard let relationship, Self.relationships.contains(relationship) else {
            throw AdministrationError.invalid("relationship", "Choose how they are related to the patient.")
        }
        guard emailIsOn else {
            // Not the request's fault but the server's state: a conflict, not invalid input.
            throw AdministrationError(
                .conflict, "email_off",
                "Email is not set up for Carebox, so invitations cannot be sent. Grant access to an account instead.",
                field: "email")
        }
        let (actor, organizationID) = (actor, actor.organizationID)
        let id = try await people.writes.transaction(on: people.db) { db in
            let id = try await ProxyInvitations.invite(
                patient: patient, organization: organizationID, email: email, relationship: relationship,
                at: actor.now, on: db.sql())
            try await actor.audit(
                "admin.proxy_invitation.create", "proxy_invitation", id, actingFor: patient,
                change: AuditChange(before: nil, after: ["relationship": relationship, "email": "set"]), on: db)
            return id
        }
        return AdminProxyInvitationResponse(
            id: id, patientId: patient, relationship: relationship,
            expiresAt: actor.now.addingTimeInterval(ProxyInvitations.lifetime))
    }
}
