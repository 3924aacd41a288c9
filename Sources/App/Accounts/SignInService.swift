import Domain
import Fluent
import Vapor

/// Checks a username and password, slows down guessing, and starts a session.
struct SignInService {
    enum Outcome {
        /// `device`: a new trusted-device token for the browser to keep, when it did not have one for this account.
        /// `mustChoosePassword`: signed in with a temporary password, so the next page is Choose a New Password.
        /// `awaitingCode`: two-step verification is set up, so the session waits for the code (`/sign-in/code`).
        case signedIn(
            token: String, landing: LandingPage, device: String?, mustChoosePassword: Bool, awaitingCode: Bool)
        /// Unknown username or wrong password: the same outcome, so the page cannot tell which.
        case rejected
        case throttled(until: Date)
        /// The right password for a deactivated account. Only told after the password is right, so a guesser learns
        /// nothing about which accounts exist.
        case inactive
    }

    let request: Request

    /// - Parameter deviceToken: the browser's `carebox_device` cookie, if it has one.
    ///
    /// OWASP's device cookies: a browser that has signed in to this account before is judged only by its own
    /// failures, so five wrong passwords typed elsewhere (by anyone, anywhere) do not lock its owner out. Every
    /// other browser shares the username's and the address's limits, as before.
    func signIn(username: String, password: String, address: String, deviceToken: String?) async throws -> Outcome {
        let db = request.db
        let now = request.now
        let throttle = request.config.signInThrottle
        let device = try await trustedDevice(deviceToken, username: username)

        let since = throttle.windowStart(now: now)
        let decision: SignInThrottle.Decision
        if let device {
            let deviceFailures = try await failureTimes(filter: \.$deviceID == device.id, since: since)
            decision = throttle.decide(accountFailures: deviceFailures, addressFailures: [], now: now)
        } else {
            async let accountFailures = failureTimes(
                filter: \.$username == username, since: since, fromUntrustedDevices: true)
            async let addressFailures = failureTimes(
                filter: \.$address == address, since: since, fromUntrustedDevices: true)
            decision = throttle.decide(
                accountFailures: try await accountFailures, addressFailures: try await addressFailures, now: now)
        }
        if case .wait(let until) = decision {
            try await audit("session.sign_in", outcome: "throttled", user: nil)
            return .throttled(until: until)
        }

        let user = try await User.query(on: db).filter(\.$username == username).with(\.$roleGrants).first()
        let verified = try await verify(password, against: user?.passwordHash)
        guard verified, let user, !user.roleGrants.isEmpty else {
            let request = self.request
            try await request.application.writes.transaction(on: db) { db in
                try await SignInAttempt(
                    username: username, address: address, succeeded: false, at: now, deviceID: device?.id
                ).create(on: db)
                try await Self.audit("session.sign_in", outcome: "failure", user: user, request: request, on: db)
            }
            return .rejected
        }

        guard user.deactivatedAt == nil else {
            try await audit("session.sign_in", outcome: "inactive", user: user)
            return .inactive
        }

        let request = self.request
        let userID = try user.requireID()
        let newDevice = device == nil ? SessionStore.newToken() : nil
        let awaitingCode = try await TwoFactor.status(of: userID, on: db.sql()) != nil
        let (emails, userAgent) = (
            request.application.emailNotifications != nil, request.headers.first(name: .userAgent)
        )
        let token = try await request.application.writes.transaction(on: db) { db in
            // A success wipes the account's failures, so a person who finally remembers is not held back later. With
            // a code still to come it is not a success yet: someone who has the password must not be able to clear
            // the count of wrong codes by typing it again.
            if !awaitingCode { try await Self.forgetFailures(of: username, on: db) }
            if let device {
                device.lastUsedAt = now
                try await device.save(on: db)
            } else if let newDevice {
                try await TrustedDevice(userID: userID, tokenHash: SessionStore.hash(newDevice), at: now).create(on: db)
            }
            let token = try await SessionStore(request: request, database: db)
                .start(for: userID, stage: awaitingCode ? .pending : .none)
            try await SignInHistory.record(
                userID, organization: user.$organization.id, sessionToken: token, address: address,
                userAgent: userAgent, newDevice: device == nil, awaitingCode: awaitingCode, notify: emails, at: now,
                on: db.sql())
            try await Self.audit(
                "session.sign_in", outcome: awaitingCode ? "password_accepted" : "success", user: user,
                request: request, on: db)
            return token
        }
        return .signedIn(
            token: token, landing: .for(Set(user.roleGrants.map(\.role))), device: newDevice,
            mustChoosePassword: user.mustChangePassword, awaitingCode: awaitingCode)
    }

    /// Minutes to wait when the person's account has had too many failures lately: wrong passwords, at sign-in or
    /// where a signed-in page asks for the current one, and wrong codes after the password. Those count as failed
    /// sign-ins from a browser the account has not trusted: a stolen session, or a known password, must not become a
    /// way to guess without limit.
    static func wait(_ username: String, _ request: Request) async throws -> Wait? {
        let throttle = request.config.signInThrottle
        let failures = try await SignInAttempt.query(on: request.db).filter(\.$username == username)
            .filter(\.$succeeded == false).filter(\.$attemptedAt > throttle.windowStart(now: request.now))
            .all(\.$attemptedAt)
        guard case .wait(let until) = throttle.decide(accountFailures: failures, addressFailures: [], now: request.now)
        else { return nil }
        return Wait(until: until, now: request.now)
    }

    /// Whether `password` is the signed-in person's current password, where a page asks for it again. A wrong one
    /// counts as a failed sign-in (`wait`), audited as a failed `auditAction`.
    static func isCurrentPassword(_ password: String, of user: User, auditAction: String, _ request: Request)
        async throws -> Bool
    {
        guard !password.isEmpty, let hash = user.passwordHash, let username = user.username else { return false }
        if (try? await request.password.async.verify(password, created: hash)) == true { return true }
        try await failed(
            user, auditAction: auditAction,
            attempt: SignInAttempt(
                username: username, address: request.clientAddress, succeeded: false, at: request.now),
            request)
        return false
    }

    /// Records a failure of the person's: the attempt, for `wait`, and the audit event.
    static func failed(_ user: User, auditAction: String, attempt: SignInAttempt, _ request: Request) async throws {
        let audit = AuditEntry(action: auditAction, recordType: "user", recordID: user.id, outcome: "failure")
        let context = AuditContext(
            organizationID: user.$organization.id, actorID: user.id, actingForID: nil, address: request.clientAddress)
        let now = request.now
        try await request.application.writes.transaction(on: request.db) { db in
            try await attempt.create(on: db)
            try await AuditLog.append(audit, context: context, at: now, on: db)
        }
    }

    static func forgetFailures(of username: String, on db: any Database) async throws {
        try await SignInAttempt.query(on: db).filter(\.$username == username).filter(\.$succeeded == false).delete()
    }

    /// The device behind the cookie, if it belongs to the account being signed in to and was used recently enough.
    private func trustedDevice(_ token: String?, username: String) async throws -> TrustedDevice? {
        guard let token, !token.isEmpty,
            let device = try await TrustedDevice.query(on: request.db)
                .filter(\.$tokenHash == SessionStore.hash(token)).with(\.$user).first(),
            device.user.username == username,
            request.now.timeIntervalSince(device.lastUsedAt) < TrustedDevice.lifetime
        else { return nil }
        return device
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

    private func failureTimes(
        filter: ModelValueFilter<SignInAttempt>, since: Date, fromUntrustedDevices: Bool = false
    ) async throws -> [Date] {
        let query = SignInAttempt.query(on: request.db)
            .filter(filter)
            .filter(\.$succeeded == false)
            .filter(\.$attemptedAt > since)
        if fromUntrustedDevices { query.filter(\.$deviceID == nil) }
        return try await query.all(\.$attemptedAt)
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
