import Fluent
import Vapor

/// Two-Step Verification (`/account/two-factor`, from the Security page): setting it up with an authenticator app
/// (a QR code drawn here, and the secret to type instead, then one code to confirm), the ten recovery codes shown
/// once, new recovery codes, and turning it off where it is not required. Someone it is required of and who has not
/// set it up sees only this page (`SignedInUser.onlyOpenPath`).
struct TwoFactorController: RouteCollection {
    static let path = "/account/two-factor"

    func boot(routes: any RoutesBuilder) throws {
        let page = routes.grouped("account", "two-factor")
        page.get(use: show)
        page.post("begin", use: begin)
        page.get("set-up", use: setUp)
        page.post("confirm", use: confirm)
        page.post("recovery-codes", use: newRecoveryCodes)
        page.post("turn-off", use: turnOff)
    }

    struct Form: Content {
        var code: String?
        var password: String?
    }

    struct Page: Encodable {
        enum Mode: String, Encodable {
            /// Not set up: what it is, and the button that begins.
            case off
            /// Begun: the QR code, the secret, and the field for the first code.
            case settingUp = "setting-up"
            /// Just confirmed or renewed: the recovery codes, this once.
            case recoveryCodes = "recovery-codes"
            /// Set up: since when, codes left, new codes, turning it off.
            case on
        }

        let layout: LayoutModel
        let mode: Mode
        /// The name the authenticator app lists the account under: the organisation's.
        let issuer: String
        /// The `otpauth://` address the QR code draws, as a link for a phone that holds the app itself.
        let provisioningLink: String?
        /// Required of them: no Turn Off, and before it is set up, nothing else is open.
        let required: Bool
        let since: String?
        let recoveryCodesLeft: Int?
        let qrCode: String?
        let secret: String?
        let recoveryCodes: [String]
        let continuePath: String
        let notice: String?
        let errors: [String: String]
    }

    @Sendable func show(request: Request) async throws -> Response {
        let user = try request.signedInUser
        if let status = try await TwoFactor.status(of: user.id, on: request.db.sql()) {
            let left = try? request.query.get(Int.self, at: "recovery-codes-left")
            return try await render(
                request, .on, status: status,
                notice: left.map {
                    "You signed in with a recovery code. You have \($0) left"
                        + ($0 <= 3 ? ": make new ones below before you run out." : ".")
                })
        }
        return try await render(request, .off)
    }

    @Sendable func begin(request: Request) async throws -> Response {
        let user = try request.signedInUser
        let (sealer, now) = (request.application.secretSealer, request.now)
        _ = try await request.application.writes.transaction(on: request.db) { db in
            try await TwoFactor.begin(for: user.id, sealer: sealer, at: now, on: db.sql())
        }
        return request.redirect(to: Self.path + "/set-up", redirectType: .normal)
    }

    @Sendable func setUp(request: Request) async throws -> Response {
        try await renderSetUp(request, errors: [:], status: .ok)
    }

    @Sendable func confirm(request: Request) async throws -> Response {
        let user = try request.signedInUser
        let code = try request.content.decode(Form.self).code ?? ""
        guard !code.isEmpty else {
            return try await renderSetUp(
                request, errors: ["code": "Enter the 6-digit code your authenticator app shows."],
                status: .unprocessableEntity)
        }
        let (sealer, now) = (request.application.secretSealer, request.now)
        let context = auditContext(request, user)
        let codes = try await request.application.writes.transaction(on: request.db) { db -> [String]? in
            guard let codes = try await TwoFactor.confirm(code, for: user.id, sealer: sealer, at: now, on: db.sql())
            else { return nil }
            if let session = user.sessionID { try await TwoFactor.pass(session, on: db.sql()) }
            try await AuditLog.append(
                AuditEntry(action: "two_factor.enrol", recordType: "user", recordID: user.id), context: context,
                at: now, on: db)
            return codes
        }
        guard let codes else {
            return try await renderSetUp(
                request,
                errors: [
                    "code":
                        "That code did not match. Check that the app was set up with this page's QR code or key, and "
                        + "enter the newest code it shows."
                ], status: .unprocessableEntity)
        }
        return try await render(request, .recoveryCodes, recoveryCodes: codes)
    }

    @Sendable func newRecoveryCodes(request: Request) async throws -> Response {
        let user = try request.signedInUser
        guard let status = try await TwoFactor.status(of: user.id, on: request.db.sql()) else {
            return request.redirect(to: Self.path, redirectType: .normal)
        }
        if let refusal = try await checkPassword(request, user, status, auditAction: "two_factor.recovery_codes") {
            return refusal
        }
        let (now, context) = (request.now, auditContext(request, user))
        let codes = try await request.application.writes.transaction(on: request.db) { db in
            let codes = try await TwoFactor.replaceRecoveryCodes(of: user.id, on: db.sql())
            try await AuditLog.append(
                AuditEntry(action: "two_factor.recovery_codes", recordType: "user", recordID: user.id),
                context: context, at: now, on: db)
            return codes
        }
        return try await render(request, .recoveryCodes, recoveryCodes: codes)
    }

    @Sendable func turnOff(request: Request) async throws -> Response {
        let user = try request.signedInUser
        guard let status = try await TwoFactor.status(of: user.id, on: request.db.sql()) else {
            return request.redirect(to: Self.path, redirectType: .normal)
        }
        guard !TwoFactor.isRequired(for: user.roles, request.config.staffTwoFactor) else {
            return try await render(
                request, .on, status: status,
                errors: ["password": "Your organization requires two-step verification for your account."],
                httpStatus: .forbidden)
        }
        if let refusal = try await checkPassword(request, user, status, auditAction: "two_factor.remove") {
            return refusal
        }
        let (now, context) = (request.now, auditContext(request, user))
        try await request.application.writes.transaction(on: request.db) { db in
            try await TwoFactor.remove(for: user.id, on: db.sql())
            try await AuditLog.append(
                AuditEntry(action: "two_factor.remove", recordType: "user", recordID: user.id), context: context,
                at: now, on: db)
        }
        return try await render(
            request, .off,
            notice: "Two-step verification is off. Signing in now asks only for your password. You can delete Carebox "
                + "from your authenticator app.")
    }

    /// The current password, asked again before the recovery codes change or the second step is turned off: a
    /// session left open must not be enough. A refusal is the page to answer.
    private func checkPassword(
        _ request: Request, _ user: SignedInUser, _ status: TwoFactor.Status, auditAction: String
    ) async throws -> Response? {
        let password = try request.content.decode(Form.self).password ?? ""
        guard let account = try await User.find(user.id, on: request.db), let username = account.username else {
            throw Abort(.unauthorized)
        }
        if let wait = try await SignInService.wait(username, request) {
            return wait.marking(
                try await render(
                    request, .on, status: status, errors: ["password": wait.sentence("Too many wrong passwords.")],
                    httpStatus: .tooManyRequests))
        }
        guard try await SignInService.isCurrentPassword(password, of: account, auditAction: auditAction, request) else {
            return try await render(
                request, .on, status: status,
                errors: [
                    "password": PasswordController.Kind.change.currentWrong(empty: password.isEmpty)
                ],
                httpStatus: .unprocessableEntity)
        }
        return nil
    }

    private func renderSetUp(_ request: Request, errors: [String: String], status: HTTPStatus) async throws -> Response
    {
        let user = try request.signedInUser
        guard
            let secret = try await TwoFactor.unconfirmedSecret(
                of: user.id, sealer: request.application.secretSealer, on: request.db.sql())
        else { return request.redirect(to: Self.path, redirectType: .normal) }
        let account = try await User.find(user.id, on: request.db)?.username ?? ""
        let uri = TOTP.provisioningURI(
            secret: secret, account: account, issuer: try await Self.issuer(for: user, request))
        return try await render(
            request, .settingUp, qrCode: QRCodeImage.dataURL(uri), provisioningLink: uri,
            secret: Base32.grouped(Base32.encode(secret)), errors: errors, httpStatus: status)
    }

    private func render(
        _ request: Request, _ mode: Page.Mode, status: TwoFactor.Status? = nil, qrCode: String? = nil,
        provisioningLink: String? = nil, secret: String? = nil, recoveryCodes: [String] = [], notice: String? = nil,
        errors: [String: String] = [:],
        httpStatus: HTTPStatus = .ok
    ) async throws -> Response {
        let user = try request.signedInUser
        let organization = try await request.application.organizations.entry(
            for: user.organizationID, at: request.now, on: request.db)
        let calendar = organization?.calendar
        // Until it is set up, a person it is required of has no header links to pages they cannot open yet.
        let layout =
            user.mustSetUpSecondFactor && mode != .recoveryCodes
            ? LayoutModel(request: request, title: "Two-Step Verification")
            : try await LayoutModel.make(request, title: "Two-Step Verification")
        let page = Page(
            layout: layout, mode: mode, issuer: organization?.settings.name ?? "Carebox",
            provisioningLink: provisioningLink,
            required: TwoFactor.isRequired(for: user.roles, request.config.staffTwoFactor),
            since: status.map { calendar?.day(of: $0.since).spelledOut ?? String($0.since.description.prefix(10)) },
            recoveryCodesLeft: status?.recoveryCodesLeft, qrCode: qrCode, secret: secret, recoveryCodes: recoveryCodes,
            continuePath: user.landingPage.rawValue, notice: notice, errors: errors)
        return try await request.view.render("two-factor", page).encodeResponse(status: httpStatus, for: request)
    }

    /// The name an authenticator app lists the account under: the organisation's.
    static func issuer(for user: SignedInUser, _ request: Request) async throws -> String {
        try await request.application.organizations.entry(for: user.organizationID, at: request.now, on: request.db)?
            .settings.name ?? "Carebox"
    }

    private func auditContext(_ request: Request, _ user: SignedInUser) -> AuditContext {
        AuditContext(
            organizationID: user.organizationID, actorID: user.id, actingForID: nil, address: request.clientAddress)
    }
}

/// The API's answer to a provider, staff member or administrator who has not set up the two-step verification their
/// organization requires: set it up on the web first.
struct SecondFactorSetUpRequired: PublicError {
    var status: HTTPResponseStatus { .forbidden }
    var code: String { "two_factor_setup_required" }
    var message: String {
        "Your organization requires two-step verification. Sign in on the web and set it up before using the API."
    }
    var field: String? { nil }
}
