import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Who is making this request: resolved from the session cookie once, then read by every handler.
struct SignedInUser: Authenticatable, Sendable {
    let id: User.IDValue
    let organizationID: Organization.IDValue
    let displayName: String
    let roles: Set<Role>
    /// The session behind this request (nil for an API token), so signing out ends exactly it.
    let sessionID: UserSession.IDValue?
    /// Signed in with a temporary password: nothing but choosing a new one is open to them until they have.
    var mustChangePassword: Bool = false
    /// This session gave a code from an authenticator app, or a recovery code, after the password.
    var passedSecondFactor: Bool = false
    /// Two-step verification is required of them and not yet set up: nothing but setting it up is open to them.
    var mustSetUpSecondFactor: Bool = false

    /// The one page open to them while something must be done first, or nil when every page is.
    var onlyOpenPath: String? {
        if mustChangePassword { return PasswordController.choosePath }
        if mustSetUpSecondFactor { return TwoFactorController.path }
        return nil
    }

    var landingPage: LandingPage { .for(roles) }
}

extension Request {
    /// The signed-in user; only call behind `RequireSignIn`.
    var signedInUser: SignedInUser {
        get throws {
            guard let user = auth.get(SignedInUser.self) else { throw Abort(.unauthorized) }
            return user
        }
    }
}
