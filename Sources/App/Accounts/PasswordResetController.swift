import Fluent
import Vapor

/// "Forgot password?" on the sign-in page, and the page its emailed link opens (docs/accounts.md). The answer to a
/// request is the same whether or not the entry names an account, so the form tells no one who has one. The link
/// works once, for 30 minutes; using it ends every session and API token of the account, as a change does.
struct PasswordResetController: RouteCollection {
    static let forgotPath = "/forgot-password"
    static let resetPath = "/reset-password"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("forgot-password", use: showRequest)
        routes.post("forgot-password", use: request)
        routes.get("reset-password", use: showReset)
        routes.post("reset-password", use: reset)
    }

    struct ForgotPage: Encodable {
        let layout: LayoutModel
        /// Whether this server sends email at all.
        let available: Bool
        let sent: Bool
        /// The link used was no good.
        let error: String?
        let fieldError: String?
    }

    struct RequestForm: Content {
        var username: String?
    }

    struct ResetForm: Content {
        var token: String?
        var new_password: String?
        var confirm_password: String?
    }

    // MARK: Asking for a link

    @Sendable func showRequest(_ request: Request) async throws -> Response {
        let sent = (try? request.query.get(String.self, at: "sent")) != nil
        return try await forgotPage(request, sent: sent, status: .ok)
    }

    @Sendable func request(_ request: Request) async throws -> Response {
        guard request.application.emailNotifications != nil else {
            return try await forgotPage(request, sent: false, status: .serviceUnavailable)
        }
        let entry = (try request.content.decode(RequestForm.self).username ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !entry.isEmpty else {
            return try await forgotPage(
                request, sent: false, fieldError: "Enter your username or your email address.",
                status: .unprocessableEntity)
        }
        let (now, address) = (request.now, request.clientAddress)
        // Longer than any username or address: names no one, and is answered like any other entry.
        let accounts =
            entry.count > 320 ? [] : try await PasswordResets.accounts(named: entry, on: request.db.sql())
        // Every answer writes an audit entry, a repeat inside the quiet minute too: a request that wrote nothing was
        // measurably quicker, which told anyone who asked twice that the account exists (bench/RESULTS.md).
        try await request.application.writes.transaction(on: request.db) { db in
            for account in accounts {
                let written = try await PasswordResets.request(for: account, at: now, on: db.sql())
                try await AuditLog.append(
                    AuditEntry(
                        action: "account.password.reset_request", recordType: "user", recordID: account.id,
                        outcome: written ? "success" : "repeat"),
                    context: AuditContext(
                        organizationID: account.organizationID, actorID: nil, actingForID: nil, address: address),
                    at: now, on: db)
            }
            if accounts.isEmpty {
                try await AuditLog.append(
                    AuditEntry(action: "account.password.reset_request", outcome: "unknown"),
                    context: AuditContext(organizationID: nil, actorID: nil, actingForID: nil, address: address),
                    at: now, on: db)
            }
        }
        return request.redirect(to: Self.forgotPath + "?sent=1", redirectType: .normal)
    }

    private func forgotPage(
        _ request: Request, sent: Bool, error: String? = nil, fieldError: String? = nil, status: HTTPStatus
    ) async throws -> Response {
        let page = ForgotPage(
            layout: LayoutModel(request: request, title: "Forgot Password"),
            available: request.application.emailNotifications != nil, sent: sent, error: error, fieldError: fieldError)
        return try await request.view.render("forgot-password", page).encodeResponse(status: status, for: request)
    }

    // MARK: Using the link

    @Sendable func showReset(_ request: Request) async throws -> Response {
        let token = (try? request.query.get(String.self, at: "token")) ?? ""
        guard let username = try await username(for: token, request) else { return try await expired(request) }
        return try await resetPage(request, token: token, username: username, errors: [:], status: .ok)
    }

    @Sendable func reset(_ request: Request) async throws -> Response {
        let form = try request.content.decode(ResetForm.self)
        let token = form.token ?? ""
        guard let username = try await username(for: token, request) else { return try await expired(request) }
        let new = form.new_password ?? ""
        var errors: [String: String] = [:]
        if let problem = request.application.passwordRules.problem(with: new, username: username) {
            errors["new_password"] = problem
        } else if new != form.confirm_password {
            errors["confirm_password"] = NewCredentials.passwordsDiffer
        }
        guard errors.isEmpty else {
            return try await resetPage(
                request, token: token, username: username, errors: errors, status: .unprocessableEntity)
        }

        let hash = try await request.password.async.hash(new)
        let (now, address) = (request.now, request.clientAddress)
        let emails = request.application.emailNotifications != nil
        let account: PasswordResets.Account? = try await request.application.writes.transaction(on: request.db) { db in
            let sql = db.sql()
            // Of two uses at once, only one finds the link unused.
            guard let user = try await PasswordResets.use(token, at: now, on: sql),
                let organization = try await User.find(user, on: db)?.$organization.id
            else { return nil }
            try await PasswordQueries.replace(of: user, hash: hash, keepingSession: nil, at: now, on: db)
            // Whoever holds the mailbox is the person: the account's failed sign-ins stop holding it back.
            try await SignInAttempt.query(on: db).filter(\.$username == username).filter(\.$succeeded == false)
                .delete()
            if emails {
                try await NotificationOutbox.passwordChanged(of: user, organization: organization, at: now, on: sql)
            }
            try await AuditLog.append(
                AuditEntry(action: "account.password.reset", recordType: "user", recordID: user),
                context: AuditContext(organizationID: organization, actorID: user, actingForID: nil, address: address),
                at: now, on: db)
            return PasswordResets.Account(id: user, organizationID: organization)
        }
        guard let account else { return try await expired(request) }
        // Open pages of the account's ended sessions stop now, not at their next heartbeat.
        request.application.liveUpdates.publish(
            LiveEvent(kind: .session, organizationID: account.organizationID, conversationID: nil, userID: account.id))
        let response = request.redirect(to: "/sign-in?reset=1", redirectType: .normal)
        if request.auth.get(SignedInUser.self)?.id == account.id {
            response.cookies[SessionStore.cookieName] = SessionStore.expiredCookie(
                secure: request.config.secureCookies)
        }
        return response
    }

    private func username(for token: String, _ request: Request) async throws -> String? {
        guard !token.isEmpty, token.count <= 100 else { return nil }
        return try await PasswordResets.username(for: token, at: request.now, on: request.db.sql())
    }

    private func resetPage(
        _ request: Request, token: String, username: String, errors: [String: String], status: HTTPStatus
    ) async throws -> Response {
        let page = PasswordPage(
            layout: LayoutModel(request: request, title: "Reset Password"), action: Self.resetPath,
            intro: "Choose a new password for \(username), of at least \(PasswordRules.minimumLength) characters, "
                + "that you do not use anywhere else. Saving it signs the account out everywhere.",
            currentLabel: nil, token: token, username: username, errors: errors)
        return try await page.render(request, status: status)
    }

    /// The answer to a link that is unknown, used, or too old: the same for each.
    private func expired(_ request: Request) async throws -> Response {
        try await forgotPage(
            request, sent: false, error: "This link has expired or has already been used. Ask for a new one below.",
            status: .gone)
    }
}
