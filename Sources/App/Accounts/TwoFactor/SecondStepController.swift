import Domain
import Fluent
import Vapor

/// The second step of signing in, for someone with two-step verification set up: after the right password their
/// session waits (`TwoFactor.SessionStage.pending`, signing no one in) until they type the code their authenticator
/// app shows, or one of their recovery codes. Wrong codes count as failed sign-ins, so guessing is throttled like
/// passwords are.
struct SecondStepController: RouteCollection {
    static let basePath = "/sign-in/code"

    static func path(next: String?) -> String {
        guard let next else { return basePath }
        var components = URLComponents()
        components.path = basePath
        components.queryItems = [URLQueryItem(name: "next", value: next)]
        return components.string ?? basePath
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("sign-in", "code", use: show)
        routes.post("sign-in", "code", use: verify)
    }

    struct Form: Content {
        var code: String?
        var next: String?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        /// The name the authenticator app lists the account under: the organisation's, as the QR code gave it.
        let issuer: String
        let next: String?
        let error: String?
        /// A message typed before the session ended, carried through to become a draft once signed in.
        let unsent: [UnsentMessage.HiddenField]
    }

    @Sendable func show(request: Request) async throws -> Response {
        let next = ReturnPath(try? request.query.get(String.self, at: "next"))?.path
        guard let (user, _) = try await Self.waiting(request) else { return request.redirect(to: next ?? "/sign-in") }
        return try await Self.render(request, for: user, next: next)
    }

    /// The page, answered straight to the password's form when that carried a message typed before a session ended.
    static func render(
        _ request: Request, for user: SignedInUser, next: String?, error: String? = nil, unsent: UnsentMessage? = nil,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let issuer = try await TwoFactorController.issuer(for: user, request)
        let page = Page(
            layout: LayoutModel(request: request, title: "Enter Your Code"), issuer: issuer, next: next, error: error,
            unsent: unsent?.hiddenFields ?? [])
        return try await request.view.render("sign-in-code", page).encodeResponse(status: status, for: request)
    }

    @Sendable func verify(request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        let next = ReturnPath(form.next)?.path
        let unsent = UnsentMessage(carried: request)
        guard let (user, token) = try await Self.waiting(request),
            let account = try await User.find(user.id, on: request.db), let username = account.username
        else { return request.redirect(to: "/sign-in?ended=1") }

        if let wait = try await SignInService.wait(username, request) {
            return wait.marking(
                try await Self.render(
                    request, for: user, next: next, error: wait.sentence("Too many wrong codes."), unsent: unsent,
                    status: .tooManyRequests))
        }
        let entry = (form.code ?? "").trimmingCharacters(in: .whitespaces)
        guard !entry.isEmpty else {
            return try await Self.render(
                request, for: user, next: next, error: "Enter the code from your authenticator app.", unsent: unsent,
                status: .unprocessableEntity)
        }

        let (sealer, now, address) = (request.application.secretSealer, request.now, request.clientAddress)
        guard let sessionID = user.sessionID else { throw Abort(.unauthorized) }
        let check = try await request.application.writes.transaction(on: request.db) { db in
            let check = try await TwoFactor.check(entry, for: user.id, sealer: sealer, at: now, on: db.sql())
            guard case .accepted(let left) = check else { return check }
            try await TwoFactor.pass(sessionID, on: db.sql())
            try await SignInHistory.completed(sessionHash: SessionStore.hash(token), on: db.sql())
            try await SignInService.forgetFailures(of: username, on: db)
            let context = AuditContext(
                organizationID: user.organizationID, actorID: user.id, actingForID: nil, address: address)
            if left != nil {
                try await AuditLog.append(
                    AuditEntry(action: "two_factor.recovery_code.use", recordType: "user", recordID: user.id),
                    context: context, at: now, on: db)
            }
            try await AuditLog.append(
                AuditEntry(action: "session.sign_in", recordType: "user", recordID: user.id), context: context,
                at: now, on: db)
            return check
        }
        guard case .accepted(let recoveryCodesLeft) = check else {
            try await SignInService.failed(
                account, auditAction: "session.second_factor",
                attempt: SignInAttempt(username: username, address: address, succeeded: false, at: now), request)
            return try await Self.render(
                request, for: user, next: next,
                error: "That code did not work. Enter the newest code your authenticator app shows, or a recovery "
                    + "code you have not used.",
                unsent: unsent, status: .unprocessableEntity)
        }

        var target = next ?? user.landingPage.rawValue
        if let recoveryCodesLeft { target = TwoFactorController.path + "?recovery-codes-left=\(recoveryCodesLeft)" }
        if let unsent, case .signedIn(let signedIn) = try await SessionStore(request: request).resume(token: token) {
            request.auth.login(signedIn)
            target = await unsent.keep(request) ?? target
        }
        if user.mustChangePassword { target = PasswordController.choosePath }
        return request.redirect(to: target, redirectType: .normal)
    }

    /// The person whose password was right and whose code is still to come, with their session's token.
    static func waiting(_ request: Request) async throws -> (SignedInUser, String)? {
        guard let token = request.cookies[SessionStore.cookieName]?.string, !token.isEmpty,
            case .awaitingCode(let user) = try await SessionStore(request: request).resume(token: token)
        else { return nil }
        return (user, token)
    }
}

extension Application {
    /// Seals and opens authenticator secrets, with the key derived from the attachment key.
    var secretSealer: SecretSealer { SecretSealer(attachmentKey: config.attachmentKey) }
}
