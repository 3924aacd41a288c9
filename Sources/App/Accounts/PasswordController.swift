import Fluent
import Vapor

/// A person choosing their own password while signed in: Choose a New Password after a temporary one (the only page
/// open to them until then: `RequireSignIn` sends every other page there; the API answers `PasswordChangeRequired`),
/// and Change Password at any time. Either way the new password follows `PasswordRules`, and every other session of
/// theirs ends and every API token of theirs is revoked: whoever knew the old password is out.
struct PasswordController: RouteCollection {
    static let choosePath = "/choose-password"
    static let changePath = "/account/password"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("choose-password") { try await show($0, .temporary) }
        routes.post("choose-password") { try await submit($0, .temporary) }
        routes.get("account", "password") { try await show($0, .change) }
        routes.post("account", "password") { try await submit($0, .change) }
    }

    /// The two pages differ only in their words and where they lead.
    enum Kind {
        /// Replacing a temporary password an administrator set.
        case temporary
        /// Changing one's own password.
        case change

        var path: String { self == .temporary ? PasswordController.choosePath : PasswordController.changePath }
        var title: String { self == .temporary ? "Choose a New Password" : "Change Password" }
        var currentLabel: String { self == .temporary ? "Temporary password" : "Current password" }
        var currentMissing: String {
            self == .temporary ? "Enter the temporary password you were given." : "Enter your current password."
        }
        var sameAsCurrent: String {
            "Choose a password different from the \(self == .temporary ? "temporary" : "current") one."
        }
        var auditAction: String { self == .temporary ? "account.password.choose" : "account.password.change" }
    }

    struct Form: Content {
        var current_password: String?
        var new_password: String?
        var confirm_password: String?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let action: String
        let temporary: Bool
        let currentLabel: String
        let minimumLength: Int
        let changed: Bool
        let errors: [String: String]
        let errorSummary: [String]
    }

    private func show(_ request: Request, _ kind: Kind) async throws -> Response {
        let user = try request.signedInUser
        if kind == .temporary, !user.mustChangePassword {
            return request.redirect(to: user.landingPage.rawValue, redirectType: .normal)
        }
        let changed = kind == .change && (try? request.query.get(String.self, at: "changed")) != nil
        return try await render(request, kind, errors: [:], changed: changed, status: .ok)
    }

    private func submit(_ request: Request, _ kind: Kind) async throws -> Response {
        let user = try request.signedInUser
        if kind == .temporary, !user.mustChangePassword { return request.redirect(to: user.landingPage.rawValue) }
        let form = try request.content.decode(Form.self)
        let current = form.current_password ?? ""
        let new = form.new_password ?? ""
        var errors: [String: String] = [:]
        guard let stored = try await User.find(user.id, on: request.db), let username = stored.username else {
            throw Abort(.unauthorized)
        }
        if let wait = try await throttled(username, request) {
            errors["current_password"] =
                "Too many wrong passwords. Wait \(wait) minute\(wait == 1 ? "" : "s") and try again."
            let response = try await render(request, kind, errors: errors, changed: false, status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(wait * 60))
            return response
        }
        var currentIsRight = false
        if !current.isEmpty, let hash = stored.passwordHash {
            currentIsRight = (try? await request.password.async.verify(current, created: hash)) ?? false
            if !currentIsRight {
                let (attempt, audit) = (
                    SignInAttempt(
                        username: username, address: request.clientAddress, succeeded: false, at: request.now),
                    AuditEntry(action: kind.auditAction, recordType: "user", recordID: user.id, outcome: "failure")
                )
                let context = AuditContext(
                    organizationID: user.organizationID, actorID: user.id, actingForID: nil,
                    address: request.clientAddress)
                let now = request.now
                try await request.application.writes.transaction(on: request.db) { db in
                    try await attempt.create(on: db)
                    try await AuditLog.append(audit, context: context, at: now, on: db)
                }
            }
        }
        if !currentIsRight { errors["current_password"] = kind.currentMissing }
        if let problem = request.application.passwordRules.problem(with: new, username: username) {
            errors["new_password"] = problem
        } else if new == current {
            errors["new_password"] = kind.sameAsCurrent
        } else if new != form.confirm_password {
            errors["confirm_password"] = "The two new passwords are not the same. Type it again in both boxes."
        }
        guard errors.isEmpty else {
            return try await render(request, kind, errors: errors, changed: false, status: .unprocessableEntity)
        }

        let hash = try await request.password.async.hash(new)
        let (userID, organizationID, session) = (user.id, user.organizationID, user.sessionID)
        let (now, address) = (request.now, request.clientAddress)
        let emails = request.application.emailNotifications != nil
        try await request.application.writes.transaction(on: request.db) { db in
            try await PasswordQueries.replace(of: userID, hash: hash, keepingSession: session, at: now, on: db)
            if emails {
                try await NotificationOutbox.passwordChanged(
                    of: userID, organization: organizationID, at: now, on: db.sql())
            }
            try await AuditLog.append(
                AuditEntry(
                    action: kind.auditAction, recordType: "user", recordID: userID,
                    change: kind == .temporary
                        ? AuditChange(before: ["mustChangePassword": "true"], after: ["mustChangePassword": "false"])
                        : nil),
                context: AuditContext(
                    organizationID: organizationID, actorID: userID, actingForID: nil, address: address),
                at: now, on: db)
        }
        let next = kind == .temporary ? user.landingPage.rawValue : Self.changePath + "?changed=1"
        return request.redirect(to: next, redirectType: .normal)
    }

    /// Minutes to wait when the person's account has had too many wrong passwords lately. A wrong current password
    /// here counts as a failed sign-in (from a browser the account has not trusted): a stolen session must not become
    /// a way to guess the password without limit.
    private func throttled(_ username: String, _ request: Request) async throws -> Int? {
        let throttle = request.config.signInThrottle
        let failures = try await SignInAttempt.query(on: request.db).filter(\.$username == username)
            .filter(\.$succeeded == false).filter(\.$attemptedAt > throttle.windowStart(now: request.now))
            .all(\.$attemptedAt)
        guard case .wait(let until) = throttle.decide(accountFailures: failures, addressFailures: [], now: request.now)
        else { return nil }
        return max(1, Int((until.timeIntervalSince(request.now) / 60).rounded(.up)))
    }

    private func render(_ request: Request, _ kind: Kind, errors: [String: String], changed: Bool, status: HTTPStatus)
        async throws -> Response
    {
        let order = ["current_password", "new_password", "confirm_password"]
        let page = Page(
            layout: LayoutModel(request: request, title: kind.title), action: kind.path,
            temporary: kind == .temporary, currentLabel: kind.currentLabel, minimumLength: PasswordRules.minimumLength,
            changed: changed, errors: errors, errorSummary: order.compactMap { errors[$0] })
        let response = try await request.view.render("password", page).encodeResponse(status: status, for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// The API's answer to someone signed in with a temporary password: choose a new one on the web first.
struct PasswordChangeRequired: PublicError {
    var status: HTTPResponseStatus { .forbidden }
    var code: String { "password_change_required" }
    var message: String {
        "Your password is temporary. Sign in on the web and choose a new password before using the API."
    }
    var field: String? { nil }
}
