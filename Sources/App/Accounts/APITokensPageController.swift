import Vapor

/// The API tokens page (`/account/api-tokens`), linked from Change Password: one's own tokens with when each expires
/// and was last used, making one (shown once, on the answer to the form only), and revoking one.
struct APITokensPageController: RouteCollection {
    static let path = "/account/api-tokens"

    func boot(routes: any RoutesBuilder) throws {
        let tokens = routes.grouped("account", "api-tokens")
        tokens.get(use: show)
        tokens.post(use: create)
        tokens.post(":tokenID", "revoke", use: revoke)
    }

    struct Form: Content {
        var name: String?
        var expires_in_days: Int?
    }

    struct Page: Encodable {
        struct Token: Encodable {
            let id: UUID
            let name: String
            let created: String
            let expires: String
            let lastUsed: String
        }

        let layout: LayoutModel
        let tokens: [Token]
        let durations: [OptionModel]
        /// The token just made, shown this once.
        let created: APITokenManager.CreatedTokenResponse?
        let name: String
        let notice: String?
        let errors: [String: String]
    }

    @Sendable func show(request: Request) async throws -> Response {
        let revoked = (try? request.query.get(String.self, at: "revoked")) != nil
        return try await render(request, notice: revoked ? "The token was revoked: it no longer works." : nil)
    }

    @Sendable func create(request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        do {
            let created = try await APITokenManager(request).create(name: form.name, days: form.expires_in_days)
            return try await render(request, created: created)
        } catch let refusal as MessagingError where refusal.status == .unprocessableEntity {
            return try await render(
                request, name: form.name ?? "", days: form.expires_in_days,
                errors: [refusal.field == "expiresInDays" ? "expires_in_days" : "name": refusal.message],
                status: .unprocessableEntity)
        }
    }

    @Sendable func revoke(request: Request) async throws -> Response {
        guard let id = request.parameters.get("tokenID", as: UUID.self) else { throw Abort(.notFound) }
        try await APITokenManager(request).revoke(id)
        return request.redirect(to: Self.path + "?revoked=1", redirectType: .normal)
    }

    private func render(
        _ request: Request, created: APITokenManager.CreatedTokenResponse? = nil, name: String = "",
        days: Int? = nil, notice: String? = nil, errors: [String: String] = [:], status: HTTPStatus = .ok
    ) async throws -> Response {
        let user = try request.signedInUser
        let calendar = try await request.application.organizations.entry(
            for: user.organizationID, at: request.now, on: request.db)?.calendar
        let day = { (date: Date) in calendar?.day(of: date).spelledOut ?? String(date.description.prefix(10)) }
        let chosen = days ?? APITokens.defaultDays
        let page = Page(
            layout: try await LayoutModel.make(request, title: "API Tokens"),
            tokens: try await APITokenManager(request).list().map {
                Page.Token(
                    id: $0.id, name: $0.name, created: day($0.createdAt), expires: day($0.expiresAt),
                    lastUsed: $0.lastUsedAt.map(day) ?? "Never")
            },
            durations: [30, 90, 180, 365].map {
                OptionModel(value: String($0), label: "\($0) days", detail: nil, selected: $0 == chosen)
            },
            created: created, name: name, notice: notice, errors: errors)
        return try await request.view.render("api-tokens", page).encodeResponse(status: status, for: request)
    }
}
