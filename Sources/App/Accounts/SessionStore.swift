import Domain
import Fluent
import Foundation
import Vapor

/// Starts, resumes and ends signed-in sessions, enforcing the idle timeout and absolute lifetime on the server.
struct SessionStore {
    static let cookieName = "carebox_session"

    let database: any Database
    let policy: SessionPolicy
    let now: Date

    init(request: Request, database: (any Database)? = nil) {
        self.database = database ?? request.db
        policy = request.config.sessionPolicy
        now = request.now
    }

    /// A new session with a new random token, so no token seen before signing in is valid after.
    func start(for userID: User.IDValue) async throws -> String {
        let token = Self.newToken()
        try await UserSession(tokenHash: Self.hash(token), userID: userID, now: now).create(on: database)
        return token
    }

    enum Resumed {
        case signedIn(SignedInUser)
        /// The cookie named a session that has ended (timed out, signed out, or never existed).
        case ended
    }

    func resume(token: String) async throws -> Resumed {
        let found = try await UserSession.query(on: database)
            .filter(\.$tokenHash == Self.hash(token))
            .with(\.$user) { user in user.with(\.$roleGrants) }
            .first()
        guard let session = found else { return .ended }
        guard policy.isAlive(createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, now: now) else {
            try await session.delete(on: database)
            return .ended
        }
        if policy.shouldRecordActivity(lastSeenAt: session.lastSeenAt, now: now) {
            session.lastSeenAt = now
            try await session.update(on: database)
        }
        let user = session.user
        return .signedIn(
            SignedInUser(
                id: try user.requireID(), organizationID: user.$organization.id,
                displayName: user.personName.displayName,
                roles: Set(user.roleGrants.map(\.role)), sessionID: try session.requireID()))
    }

    func end(token: String) async throws {
        try await UserSession.query(on: database).filter(\.$tokenHash == Self.hash(token)).delete()
    }

    static func newToken() -> String {
        let bytes = [UInt8].random(count: 32)
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hex
    }

    static func cookie(_ token: String, secure: Bool, policy: SessionPolicy) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, maxAge: Int(policy.absoluteLifetime), path: "/", isSecure: secure, isHTTPOnly: true,
            sameSite: .lax)
    }

    static func expiredCookie(secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(string: "", maxAge: 0, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }
}
