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
    /// `stage` `.pending`: the password was right and a code is still to come; the session signs no one in until
    /// `TwoFactor.pass` marks it.
    func start(for userID: User.IDValue, stage: TwoFactor.SessionStage = .none) async throws -> String {
        let token = Self.newToken()
        let session = UserSession(tokenHash: Self.hash(token), userID: userID, now: now)
        session.secondFactor = stage.rawValue
        try await session.create(on: database)
        return token
    }

    enum Resumed {
        case signedIn(SignedInUser)
        /// The password was right; the code from the authenticator app is still to come (`/sign-in/code`).
        case awaitingCode(SignedInUser)
        /// The cookie named a session that has ended (timed out, signed out, or never existed).
        case ended
    }

    /// The session behind `token`, if it is still open. `recordingActivity: false` checks it without keeping it alive.
    func resume(token: String, recordingActivity: Bool = true) async throws -> Resumed {
        guard let found = try await CredentialLookup.session(hash: Self.hash(token), on: database),
            let sessionID = found.user.sessionID, let createdAt = found.createdAt, let lastSeenAt = found.lastSeenAt
        else { return .ended }
        guard policy.isAlive(createdAt: createdAt, lastSeenAt: lastSeenAt, now: now) else {
            try await UserSession.query(on: database).filter(\.$id == sessionID).delete()
            return .ended
        }
        if recordingActivity && policy.shouldRecordActivity(lastSeenAt: lastSeenAt, now: now) {
            try await UserSession.query(on: database).filter(\.$id == sessionID).set(\.$lastSeenAt, to: now).update()
        }
        return found.secondFactor == .pending ? .awaitingCode(found.user) : .signedIn(found.user)
    }

    /// Records activity now, whatever the granularity: someone asked to stay signed in.
    func touch(_ sessionID: UserSession.IDValue) async throws {
        try await UserSession.query(on: database).filter(\.$id == sessionID).set(\.$lastSeenAt, to: now).update()
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
