import Fluent
import Vapor

/// Choose a New Password: where a person signed in with a temporary password lands, and the only page open to them
/// until they have chosen one (`RequireSignIn` sends every other page here; the API answers `PasswordChangeRequired`).
struct ChoosePasswordController: RouteCollection {
    static let path = "/choose-password"
    static let minimumLength = 12
    static let maximumLength = 200

    func boot(routes: any RoutesBuilder) throws {
        routes.get("choose-password", use: show)
        routes.post("choose-password", use: choose)
    }

    struct Form: Content {
        var current_password: String?
        var new_password: String?
        var confirm_password: String?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let errors: [String: String]
        let errorSummary: [String]
    }

    @Sendable func show(request: Request) async throws -> Response {
        guard try request.signedInUser.mustChangePassword else {
            return request.redirect(to: try request.signedInUser.landingPage.rawValue, redirectType: .normal)
        }
        return try await render(request, errors: [:], status: .ok)
    }

    @Sendable func choose(request: Request) async throws -> Response {
        let user = try request.signedInUser
        guard user.mustChangePassword else { return request.redirect(to: user.landingPage.rawValue) }
        let form = try request.content.decode(Form.self)
        let current = form.current_password ?? ""
        let new = form.new_password ?? ""
        var errors: [String: String] = [:]
        let stored = try await User.find(user.id, on: request.db)
        var currentIsRight = false
        if !current.isEmpty, let hash = stored?.passwordHash {
            currentIsRight = (try? await request.password.async.verify(current, created: hash)) ?? false
        }
        if !currentIsRight {
            errors["current_password"] = "Enter the temporary password you were given."
        }
        if new.count < Self.minimumLength || new.count > Self.maximumLength {
            errors["new_password"] =
                "Choose a password of at least \(Self.minimumLength) characters (at most \(Self.maximumLength))."
        } else if new == current {
            errors["new_password"] = "Choose a password different from the temporary one."
        } else if new != form.confirm_password {
            errors["confirm_password"] = "The two new passwords are not the same. Type it again in both boxes."
        }
        guard errors.isEmpty else { return try await render(request, errors: errors, status: .unprocessableEntity) }

        let hash = try await request.password.async.hash(new)
        let (userID, organizationID, now, address) = (user.id, user.organizationID, request.now, request.clientAddress)
        try await request.application.writes.transaction(on: request.db) { db in
            try await PasswordQueries.replaceTemporary(of: userID, hash: hash, on: db)
            try await AuditLog.append(
                AuditEntry(
                    action: "account.password.choose", recordType: "user", recordID: userID,
                    change: AuditChange(
                        before: ["mustChangePassword": "true"], after: ["mustChangePassword": "false"])),
                context: AuditContext(
                    organizationID: organizationID, actorID: userID, actingForID: nil, address: address),
                at: now, on: db)
        }
        return request.redirect(to: user.landingPage.rawValue, redirectType: .normal)
    }

    private func render(_ request: Request, errors: [String: String], status: HTTPStatus) async throws -> Response {
        let order = ["current_password", "new_password", "confirm_password"]
        let page = Page(
            layout: LayoutModel(request: request, title: "Choose a New Password"), errors: errors,
            errorSummary: order.compactMap { errors[$0] })
        let response = try await request.view.render("choose-password", page).encodeResponse(
            status: status, for: request)
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
