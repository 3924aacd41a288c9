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
        /// An empty field, or a password that is not the one asked for.
        func currentWrong(empty: Bool) -> String {
            switch (self, empty) {
            case (.temporary, true): "Enter the temporary password you were given."
            case (.temporary, false): "That is not the temporary password you were given."
            case (.change, true): "Enter your current password."
            case (.change, false): "That is not your current password."
            }
        }
        var sameAsCurrent: String {
            "Choose a password different from the \(self == .temporary ? "temporary" : "current") one."
        }
        var auditAction: String { self == .temporary ? "account.password.choose" : "account.password.change" }
        var intro: String {
            self == .temporary
                ? "You signed in with a temporary password. Choose a new password of at least "
                    + "\(PasswordRules.minimumLength) characters to continue."
                : "Choose a password of at least \(PasswordRules.minimumLength) characters that you do not use "
                    + "anywhere else. A few unrelated words together are easy to remember and hard to guess. "
                    + "Changing it signs you out everywhere else."
        }
    }

    struct Form: Content {
        var current_password: String?
        var new_password: String?
        var confirm_password: String?
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
        if let wait = try await SignInService.wait(username, request) {
            errors["current_password"] = wait.sentence("Too many wrong passwords.")
            return wait.marking(
                try await render(request, kind, errors: errors, changed: false, status: .tooManyRequests))
        }
        let currentIsRight = try await SignInService.isCurrentPassword(
            current, of: stored, auditAction: kind.auditAction, request)
        if !currentIsRight { errors["current_password"] = kind.currentWrong(empty: current.isEmpty) }
        if let problem = request.application.passwordRules.problem(with: new, username: username) {
            errors["new_password"] = problem
        } else if new == current {
            errors["new_password"] = kind.sameAsCurrent
        } else if new != form.confirm_password {
            errors["confirm_password"] = NewCredentials.passwordsDiffer
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

    private func render(_ request: Request, _ kind: Kind, errors: [String: String], changed: Bool, status: HTTPStatus)
        async throws -> Response
    {
        let page = PasswordPage(
            layout: kind == .temporary
                ? LayoutModel(request: request, title: kind.title)
                : try await LayoutModel.make(request, title: kind.title),
            action: kind.path, intro: kind.intro,
            currentLabel: kind.currentLabel,
            notice: changed
                ? "Your password has been changed. Everywhere else you were signed in has been signed out, and your "
                    + "API tokens no longer work."
                : nil,
            errors: errors)
        return try await page.render(request, status: status)
    }
}

/// The model of the page that sets a new password: Choose a New Password, Change Password, and the page a reset link
/// opens (which asks for no current password, and carries the link's secret instead).
struct PasswordPage: Encodable {
    let layout: LayoutModel
    let action: String
    let intro: String
    /// Nil: no current password is asked for.
    let currentLabel: String?
    let notice: String?
    let token: String?
    /// The account's username, for password managers to file the new password under.
    let username: String?
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]
    let minimumLength = PasswordRules.minimumLength

    init(
        layout: LayoutModel, action: String, intro: String, currentLabel: String?, notice: String? = nil,
        token: String? = nil, username: String? = nil, errors: [String: String]
    ) {
        (self.layout, self.action, self.intro, self.currentLabel) = (layout, action, intro, currentLabel)
        (self.notice, self.token, self.username, self.errors) = (notice, token, username, errors)
        errorSummary = ErrorSummaryItem.list(errors, order: ["current_password", "new_password", "confirm_password"])
    }

    func render(_ request: Request, status: HTTPStatus) async throws -> Response {
        try await request.view.render("password", self).encodeResponse(status: status, for: request)
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
