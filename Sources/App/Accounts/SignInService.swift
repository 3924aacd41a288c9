import Domain
import Fluent
import Vapor

/// Checks a username and password, slows down guessing, and starts a session.
struct SignInService {
    enum Outcome {
        case signedIn(token: String, landing: LandingPage)
        /// Unknown username or wrong password: the same outcome, so the page cannot tell which.
        case rejected
        case throttled(until: Date)
    }

    let request: Request

    func signIn(username: String, password: String, address: String) async throws -> Outcome {
        let db = request.db
        let now = request.now
        let throttle = request.config.signInThrottle

        let since = throttle.windowStart(now: now)
        async let accountFailures = failureTimes(filter: \.$username == username, since: since)
        async let addressFailures = failureTimes(filter: \.$address == address, since: since)
        if case .wait(let until) = throttle.decide(
            accountFailures: try await accountFailures, addressFailures: try await addressFailures, now: now)
        {
            try await audit("session.sign_in", outcome: "throttled", user: nil)
            return .throttled(until: until)
        }

        let user = try await User.query(on: db).filter(\.$username == username).with(\.$roleGrants).first()
        let verified = try await verify(password, against: user?.passwordHash)
        guard verified, let user, !user.roleGrants.isEmpty else {
            let request = self.request
            try await request.application.writes.transaction(on: db) { db in
                try await SignInAttempt(username: username, address: address, succeeded: false, at: now).create(on: db)
                try await Self.audit("session.sign_in", outcome: "failure", user: user, request: request, on: db)
            }
            return .rejected
        }

        let request = self.request
        let token = try await request.application.writes.transaction(on: db) { db in
            // A success wipes the account's failures, so a person who finally remembers is not held back later.
            try await SignInAttempt.query(on: db).filter(\.$username == username).filter(\.$succeeded == false)
                .delete()
            let token = try await SessionStore(request: request, database: db).start(for: try user.requireID())
            try await Self.audit("session.sign_in", outcome: "success", user: user, request: request, on: db)
            return token
        }
        return .signedIn(token: token, landing: .for(Set(user.roleGrants.map(\.role))))
    }

    private func audit(_ action: String, outcome: String, user: User?) async throws {
        let request = self.request
        try await request.application.writes.transaction(on: request.db) { db in
            try await Self.audit(action, outcome: outcome, user: user, request: request, on: db)
        }
    }

    /// Sign-in events name the account only when it exists; the username typed is never logged.
    static func audit(_ action: String, outcome: String, user: User?, request: Request, on db: any Database)
        async throws
    {
        try await AuditLog.append(
            AuditEntry(action: action, recordType: user == nil ? nil : "user", recordID: user?.id, outcome: outcome),
            context: AuditContext(
                organizationID: user?.$organization.id, actorID: user?.id, actingForID: nil,
                address: request.clientAddress),
            at: request.now, on: db)
    }

    private func failureTimes(filter: ModelValueFilter<SignInAttempt>, since: Date) async throws -> [Date] {
        try await SignInAttempt.query(on: request.db)
            .filter(filter)
            .filter(\.$succeeded == false)
            .filter(\.$attemptedAt > since)
            .all(\.$attemptedAt)
    }

    /// Verifies against a stand-in hash when there is no account, so an unknown username takes as long as a known one.
    private func verify(_ password: String, against hash: String?) async throws -> Bool {
        let hasher = request.password.async
        guard let hash else {
            _ = try await hasher.verify(password, created: request.application.standInPasswordHash)
            return false
        }
        return try await hasher.verify(password, created: hash)
    }
}

extension Application {
    private struct StandInHashKey: StorageKey {
        typealias Value = String
    }

    /// A hash of a random password, made once at start-up at the configured cost, for timing-safe rejections.
    var standInPasswordHash: String {
        get { storage[StandInHashKey.self] ?? "" }
        set { storage[StandInHashKey.self] = newValue }
    }
}
