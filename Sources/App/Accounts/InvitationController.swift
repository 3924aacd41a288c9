import Domain
import Fluent
import Vapor

/// The page a proxy invitation's link opens (docs/accounts.md, "Sharing"): who invites, and as what; accept with the
/// account one is signed in to, sign in first, or make an account. Only the link shows the patient's name. A link
/// that is unknown, used, cancelled or too old gets one answer (410).
struct InvitationController: RouteCollection {
    static let path = "/invitation"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("invitation", use: show)
        routes.post("invitation", "accept", use: accept)
        routes.post("invitation", "sign-up", use: signUp)
    }

    struct AcceptForm: Content {
        var token: String?
    }

    struct SignUpForm: Content {
        var token: String?
        var name: String?
        var username: String?
        var new_password: String?
        var confirm_password: String?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let token: String
        let patientName: String
        let relationship: String
        let organization: String
        let signInLink: String
        /// Signed in to an account that can accept: its name.
        let acceptAs: String?
        /// Signed in to an account that cannot accept, and why.
        let cannotAccept: String?
        let name: String
        let username: String
        let minimumLength: Int
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
    }

    @Sendable func show(request: Request) async throws -> Response {
        let token = (try? request.query.get(String.self, at: "token")) ?? ""
        guard let invitation = try await ProxyInvitations.open(token, at: request.now, on: request.db.sql()) else {
            return try await gone(request)
        }
        return try await render(request, invitation, token: token)
    }

    @Sendable func accept(request: Request) async throws -> Response {
        let token = try request.content.decode(AcceptForm.self).token ?? ""
        guard let invitation = try await ProxyInvitations.open(token, at: request.now, on: request.db.sql()) else {
            return try await gone(request)
        }
        guard let user = request.auth.get(SignedInUser.self) else {
            return request.redirect(to: signInLink(token), redirectType: .normal)
        }
        if let reason = refusal(for: user, invitation) {
            return try await render(request, invitation, token: token, errors: ["form": reason], status: .forbidden)
        }
        guard try await accept(invitation, by: user.id, organization: user.organizationID, request, created: false)
        else { return try await gone(request) }
        return request.redirect(to: Self.acceptedPath(invitation), redirectType: .normal)
    }

    @Sendable func signUp(request: Request) async throws -> Response {
        let form = try request.content.decode(SignUpForm.self)
        let token = form.token ?? ""
        guard let invitation = try await ProxyInvitations.open(token, at: request.now, on: request.db.sql()) else {
            return try await gone(request)
        }
        let name = (form.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let username = User.normalize(username: form.username ?? "")
        var errors = try await NewCredentials.problems(
            username: username, password: form.new_password ?? "", confirmation: form.confirm_password,
            rules: request.application.passwordRules, on: request.db)
        if name.isEmpty || name.unicodeScalars.count > 100 {
            errors["name"] = "Enter your name (at most 100 characters)."
        }
        guard errors.isEmpty else {
            return try await render(
                request, invitation, token: token, form: form, errors: errors, status: .unprocessableEntity)
        }
        let hash = try await request.password.async.hash(form.new_password ?? "")
        let id = UUID()
        let account = User(
            organizationID: invitation.organizationID, username: username, passwordHash: hash, name: name)
        account.id = id
        account.email = invitation.email
        let session: String
        do {
            session = try await acceptCreating(account, invitation, request)
        } catch is InvitationGone {
            return try await gone(request)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return try await render(
                request, invitation, token: token, form: form,
                errors: ["username": NewCredentials.usernameTaken], status: .unprocessableEntity)
        }
        let response = request.redirect(to: Self.acceptedPath(invitation), redirectType: .normal)
        response.cookies[SessionStore.cookieName] = SessionStore.cookie(
            session, secure: request.config.secureCookies, policy: request.config.sessionPolicy)
        return response
    }

    // MARK: Accepting

    /// Why the signed-in account cannot accept, if it cannot.
    private func refusal(for user: SignedInUser, _ invitation: ProxyInvitations.Open) -> String? {
        if user.id == invitation.patientID { return "You cannot accept your own invitation." }
        if user.organizationID != invitation.organizationID {
            return "This invitation is for an account at another organization. Sign out, then make an account here."
        }
        return nil
    }

    /// Accepts for an existing account; false when the invitation was accepted or cancelled meanwhile.
    private func accept(
        _ invitation: ProxyInvitations.Open, by proxy: UUID, organization: UUID, _ request: Request, created: Bool
    ) async throws -> Bool {
        let today = try await today(request, invitation)
        let (now, address) = (request.now, request.clientAddress)
        return try await request.application.writes.transaction(on: request.db) { db in
            guard try await ProxyInvitations.accept(invitation, by: proxy, today: today, at: now, on: db) else {
                return false
            }
            try await Self.audit(invitation, proxy: proxy, created: created, at: now, address: address, on: db)
            return true
        }
    }

    /// Makes the account and accepts with it, in one transaction, and starts its session. Throws `InvitationGone`,
    /// making nothing, when the invitation was accepted or cancelled meanwhile.
    private func acceptCreating(_ account: User, _ invitation: ProxyInvitations.Open, _ request: Request)
        async throws -> String
    {
        let today = try await today(request, invitation)
        let (now, address, id) = (request.now, request.clientAddress, account.id!)
        return try await request.application.writes.transaction(on: request.db) { db in
            try await account.create(on: db)
            guard try await ProxyInvitations.accept(invitation, by: id, today: today, at: now, on: db) else {
                throw InvitationGone()
            }
            try await Self.audit(invitation, proxy: id, created: true, at: now, address: address, on: db)
            return try await SessionStore(request: request, database: db).start(for: id)
        }
    }

    private struct InvitationGone: Error {}

    /// Today, which says whose messages the new proxy can now see.
    private static func acceptedPath(_ invitation: ProxyInvitations.Open) -> String {
        "\(LandingPage.today.rawValue)?accepted=\(invitation.patientID.uuidString)"
    }

    private static func audit(
        _ invitation: ProxyInvitations.Open, proxy: UUID, created: Bool, at now: Date, address: String,
        on db: any Database
    ) async throws {
        try await AuditLog.append(
            AuditEntry(
                action: "proxy_invitation.accept", recordType: "proxy_invitation", recordID: invitation.id,
                change: AuditChange(
                    before: nil,
                    after: [
                        "proxyId": proxy.uuidString, "relationship": invitation.relationship,
                        "account": created ? "created" : "existing",
                    ])),
            context: AuditContext(
                organizationID: invitation.organizationID, actorID: proxy, actingForID: invitation.patientID,
                address: address),
            at: now, on: db)
    }

    private func today(_ request: Request, _ invitation: ProxyInvitations.Open) async throws -> CalendarDate {
        let calendar = try await request.application.organizations.entry(
            for: invitation.organizationID, at: request.now, on: request.db)?.calendar
        return (calendar ?? BusinessCalendar(timeZone: TimeZone(identifier: "UTC")!, holidays: [])).day(of: request.now)
    }

    // MARK: Pages

    private func signInLink(_ token: String) -> String {
        var components = URLComponents()
        components.path = "/sign-in"
        components.queryItems = [URLQueryItem(name: "next", value: Self.path + "?token=" + token)]
        return components.string ?? "/sign-in"
    }

    private func render(
        _ request: Request, _ invitation: ProxyInvitations.Open, token: String, form: SignUpForm? = nil,
        errors: [String: String] = [:], status: HTTPStatus = .ok
    ) async throws -> Response {
        let user = request.auth.get(SignedInUser.self)
        let organization = try await request.application.organizations.entry(
            for: invitation.organizationID, at: request.now, on: request.db)
        let page = Page(
            layout: try await LayoutModel.make(request, title: "Invitation"), token: token,
            patientName: invitation.patientName, relationship: invitation.relationship,
            organization: organization?.settings.name ?? "", signInLink: signInLink(token),
            acceptAs: user.flatMap { refusal(for: $0, invitation) == nil ? $0.displayName : nil },
            cannotAccept: user.flatMap { refusal(for: $0, invitation) }, name: form?.name ?? "",
            username: form?.username ?? "", minimumLength: PasswordRules.minimumLength, errors: errors,
            errorSummary: ErrorSummaryItem.list(
                errors, order: ["form", "name", "username", "new_password", "confirm_password"]))
        return try await request.view.render("invitation", page).encodeResponse(status: status, for: request)
    }

    private func gone(_ request: Request) async throws -> Response {
        struct Gone: Encodable { let layout: LayoutModel }
        return try await request.view.render(
            "invitation-gone", Gone(layout: try await LayoutModel.make(request, title: "Invitation"))
        ).encodeResponse(status: .gone, for: request)
    }
}
