import Fluent
import Foundation
import SQLKit

extension ManagePeople {
    /// Resets a person's two-step verification, for someone who lost their phone and their recovery codes: their
    /// authenticator secret and recovery codes go, and their sessions end. They sign in with their password alone
    /// next time, and set it up again (at once, where it is required of them). Conditional on the version the
    /// administrator saw, and audited.
    func resetTwoFactor(_ id: UUID, version: Int) async throws -> AdminPersonResponse {
        guard id != actor.userID else {
            throw AdministrationError(
                .unprocessableEntity, "cannot_reset_yourself",
                "You cannot reset your own two-step verification: another administrator can.", field: "id")
        }
        guard let user = try await queries.person(id) else { throw AdministrationError.notFound }
        guard user.version == version else { throw AdministrationError.versionConflict }
        let (actor, organizationID) = (actor, actor.organizationID)
        try await writes.transaction(on: db) { db in
            guard try await TwoFactor.remove(for: id, on: db.sql()) else {
                throw AdministrationError(
                    .unprocessableEntity, "two_factor_not_set_up", "This person has not set up two-step verification.",
                    field: "id")
            }
            guard try await PeopleQueries(db: db, organizationID: organizationID).bumpVersion(id, from: version) else {
                throw AdministrationError.versionConflict
            }
            try await UserSession.query(on: db).filter(\.$user.$id == id).delete()
            try await actor.audit(
                "admin.person.two_factor_reset", "user", id,
                change: AuditChange(before: ["twoFactor": "on"], after: ["twoFactor": "off"]), on: db)
        }
        return try await person(id)
    }
}
