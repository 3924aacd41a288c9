import Domain
import Fluent
import Vapor

/// Signs in API requests carrying `Authorization: Bearer <token>`. A request with a session cookie instead is signed
/// in by `SessionAuthenticator`; its writes must then carry the session's CSRF token in `X-CSRF-Token` and come from
/// this site, so another site cannot make a signed-in browser call the API.
struct APIAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = request.headers.bearerAuthorization {
            guard let found = try await CredentialLookup.apiToken(hash: SessionStore.hash(bearer.token), on: request.db)
            else { throw APIAuthenticationError() }
            request.auth.login(found.user)
        } else if request.auth.has(SignedInUser.self), ![.GET, .HEAD].contains(request.method) {
            guard CSRFMiddleware.comesFromThisSite(request), let expected = CSRFMiddleware.sessionBoundToken(request),
                let sent = request.headers.first(name: CSRFMiddleware.header),
                CSRFMiddleware.constantTimeEquals(expected, sent)
            else {
                throw PageError.formExpired
            }
        }
        guard let user = request.auth.get(SignedInUser.self) else { throw APIAuthenticationError() }
        guard !user.mustChangePassword else { throw PasswordChangeRequired() }
        return try await next.respond(to: request)
    }
}

struct APIAuthenticationError: AbortError {
    var status: HTTPResponseStatus { .unauthorized }
    var reason: String { "Sign in, or send a valid API token as Authorization: Bearer <token>." }
}

/// Creating and revoking API tokens.
struct APITokensController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("tokens", use: create)
        routes.delete("tokens", ":tokenID", use: revoke)
    }

    struct CreateTokenRequest: Content {
        var name: String?
    }

    struct CreatedTokenResponse: Content {
        let id: UUID
        let name: String
        /// Shown once; only its hash is kept.
        let token: String
    }

    @Sendable func create(request: Request) async throws -> Response {
        let user = try request.signedInUser
        let input = try request.content.decode(CreateTokenRequest.self)
        let name = input.name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard (1...100).contains(name.count) else {
            throw MessagingError(
                .unprocessableEntity, "name_required", "Give the token a name of 1 to 100 characters.", field: "name")
        }
        let secret = SessionStore.newToken()
        let token = APIToken(userID: user.id, name: name, tokenHash: SessionStore.hash(secret), at: request.now)
        try await token.create(on: request.db)
        return try await CreatedTokenResponse(id: token.requireID(), name: name, token: secret)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable func revoke(request: Request) async throws -> HTTPStatus {
        let user = try request.signedInUser
        guard let id = request.parameters.get("tokenID", as: UUID.self),
            let token = try await APIToken.query(on: request.db).filter(\.$id == id).filter(\.$user.$id == user.id)
                .filter(\.$revokedAt == nil).first()
        else { throw MessagingError.notFound }
        token.revokedAt = request.now
        try await token.save(on: request.db)
        return .noContent
    }
}
