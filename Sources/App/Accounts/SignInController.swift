import Domain
import Fluent
import Vapor

/// The sign-in page, signing in, and signing out.
struct SignInController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("sign-in", use: show)
        routes.post("sign-in", use: signIn)
        routes.post("sign-out", use: signOut)
        routes.post("session", "keep-alive", use: keepAlive)
        routes.get { request in
            request.redirect(to: request.auth.get(SignedInUser.self)?.landingPage.rawValue ?? "/sign-in")
        }
    }

    struct SignInForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    @Sendable func show(request: Request) async throws -> Response {
        let next = try? request.query.get(String.self, at: "next")
        if let user = request.auth.get(SignedInUser.self) {
            return request.redirect(to: ReturnPath(next)?.path ?? user.landingPage.rawValue)
        }
        var notice: String?
        if (try? request.query.get(String.self, at: "ended")) != nil {
            notice = "Your session has ended. Sign in again to continue."
        } else if (try? request.query.get(String.self, at: "signed-out")) != nil {
            notice = "You have signed out."
        } else if (try? request.query.get(String.self, at: "reset")) != nil {
            notice =
                "Your password has been reset, and every place the account was signed in has been signed out. "
                + "Sign in with your new password."
        }
        let page = SignInPage(request: request, next: ReturnPath(next)?.path, notice: notice)
        return try await request.view.render("sign-in", page).encodeResponse(for: request)
    }

    @Sendable func signIn(request: Request) async throws -> Response {
        let form = try request.content.decode(SignInForm.self)
        let username = User.normalize(username: form.username ?? "")
        let password = form.password ?? ""
        let next = ReturnPath(form.next)?.path
        let unsent = UnsentMessage(carried: request)

        var fieldErrors: [String: String] = [:]
        if username.isEmpty { fieldErrors["username"] = "Enter your username." }
        if password.isEmpty { fieldErrors["password"] = "Enter your password." }
        guard fieldErrors.isEmpty else {
            let page = SignInPage(
                request: request, next: next, username: form.username, fieldErrors: fieldErrors, unsent: unsent)
            return try await request.view.render("sign-in", page).encodeResponse(
                status: .unprocessableEntity, for: request)
        }

        let outcome = try await SignInService(request: request).signIn(
            username: username, password: password, address: request.clientAddress,
            deviceToken: request.cookies[TrustedDevice.cookieName]?.string)
        switch outcome {
        case .signedIn(let token, let landing, let device, let mustChoose, let awaitingCode):
            if let previous = request.cookies[SessionStore.cookieName]?.string, !previous.isEmpty {
                try await SessionStore(request: request).end(token: previous)
            }
            let response: Response
            if awaitingCode, let unsent,
                case .awaitingCode(let user) = try await SessionStore(request: request).resume(token: token)
            {
                // The message typed before the session ended goes on through the code's form.
                response = try await SecondStepController.render(request, for: user, next: next, unsent: unsent)
            } else {
                var target = next ?? landing.rawValue
                if let unsent, case .signedIn(let user) = try await SessionStore(request: request).resume(token: token)
                {
                    request.auth.login(user)
                    target = await unsent.keep(request) ?? target
                }
                if mustChoose { target = PasswordController.choosePath }
                if awaitingCode { target = SecondStepController.path(next: next) }
                response = request.redirect(to: target, redirectType: .normal)
            }
            response.cookies[SessionStore.cookieName] = SessionStore.cookie(
                token, secure: request.config.secureCookies, policy: request.config.sessionPolicy)
            if let device {
                response.cookies[TrustedDevice.cookieName] = TrustedDevice.cookie(
                    device, secure: request.config.secureCookies)
            }
            return response
        case .inactive:
            let page = SignInPage(
                request: request, next: next, username: form.username,
                error: "This account is not active. Contact your organization to have it reactivated.", unsent: unsent)
            return try await request.view.render("sign-in", page).encodeResponse(status: .forbidden, for: request)
        case .rejected:
            let page = SignInPage(
                request: request, next: next, username: form.username,
                error: "The username or password you entered is incorrect.", unsent: unsent)
            return try await request.view.render("sign-in", page).encodeResponse(status: .unauthorized, for: request)
        case .throttled(let until):
            let wait = Wait(until: until, now: request.now)
            let page = SignInPage(
                request: request, next: next, username: form.username,
                error: wait.sentence("Too many unsuccessful sign-in attempts."), unsent: unsent)
            return wait.marking(
                try await request.view.render("sign-in", page).encodeResponse(status: .tooManyRequests, for: request))
        }
    }

    /// The sign-in page for a message form posted after its session ended, carrying what was typed.
    static func signInToKeep(_ unsent: UnsentMessage, _ request: Request) async throws -> Response {
        var notice = "Your session has ended. Sign in again and what you wrote will be kept as a draft for you to send."
        if unsent.form.postedFile != nil { notice += " The file you added was not kept: add it again." }
        let page = SignInPage(request: request, next: nil, notice: notice, unsent: unsent)
        return try await request.view.render("sign-in", page).encodeResponse(status: .unauthorized, for: request)
    }

    /// "Stay signed in": 204 while the session lasts, which this request extends; 401 once it has ended.
    @Sendable func keepAlive(request: Request) async throws -> HTTPStatus {
        guard let session = request.auth.get(SignedInUser.self)?.sessionID else { return .unauthorized }
        try await SessionStore(request: request).touch(session)
        return .noContent
    }

    @Sendable func signOut(request: Request) async throws -> Response {
        if let token = request.cookies[SessionStore.cookieName]?.string, !token.isEmpty {
            let user = request.auth.get(SignedInUser.self)
            try await request.application.writes.transaction(on: request.db) { db in
                try await SessionStore(request: request, database: db).end(token: token)
                if let user {
                    try await AuditLog.append(
                        AuditEntry(action: "session.sign_out", recordType: "user", recordID: user.id),
                        context: AuditContext(
                            organizationID: user.organizationID, actorID: user.id, actingForID: nil,
                            address: request.clientAddress),
                        at: request.now, on: db)
                }
            }
        }
        if let user = request.auth.get(SignedInUser.self) {
            // Its open pages' streams end now, not at their next heartbeat.
            request.application.liveUpdates.publish(
                LiveEvent(kind: .session, organizationID: user.organizationID, conversationID: nil, userID: user.id))
        }
        request.auth.logout(SignedInUser.self)
        let response = request.redirect(to: "/sign-in?signed-out=1", redirectType: .normal)
        response.cookies[SessionStore.cookieName] = SessionStore.expiredCookie(secure: request.config.secureCookies)
        return response
    }
}

extension Request {
    /// The peer's address. Carebox does not trust X-Forwarded-For: a proxy in front must be configured to pass the
    /// client address in a way the deployment controls (see docs).
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
