import Domain
import Fluent
import SQLKit
import Vapor

/// Signs in API requests carrying `Authorization: Bearer <token>`. A request with a session cookie instead is signed
/// in by `SessionAuthenticator`; its writes must then carry the session's CSRF token in `X-CSRF-Token` and come from
/// this site, so another site cannot make a signed-in browser call the API.
struct APIAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = request.headers.bearerAuthorization {
            let now = request.now
            guard
                let found = try await CredentialLookup.apiToken(
                    hash: SessionStore.hash(bearer.token), at: now, on: request.db)
            else { throw APIAuthenticationError() }
            if found.lastSeenAt.map({ now.timeIntervalSince($0) >= APITokens.usageGranularity }) ?? true {
                try await APIToken.query(on: request.db).filter(\.$id == found.credentialID)
                    .set(\.$lastUsedAt, to: now).update()
            }
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
        guard !user.mustSetUpSecondFactor else { throw SecondFactorSetUpRequired() }
        return try await next.respond(to: request)
    }
}

struct APIAuthenticationError: AbortError {
    var status: HTTPResponseStatus { .unauthorized }
    var reason: String { "Sign in, or send a valid API token as Authorization: Bearer <token>." }
}

/// Listing, creating and revoking one's own API tokens. The API tokens page (`APITokensPageController`) does the same
/// through `APITokenManager`.
struct APITokensController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("tokens", use: list)
        routes.post("tokens", use: create)
        routes.delete("tokens", ":tokenID", use: revoke)
    }

    struct CreateTokenRequest: Content {
        var name: String?
        /// 1 to 365; 90 when left out.
        var expiresInDays: Int?
    }

    @Sendable func list(request: Request) async throws -> [APITokenManager.TokenResponse] {
        try await APITokenManager(request).list()
    }

    @Sendable func create(request: Request) async throws -> Response {
        let input = try request.content.decode(CreateTokenRequest.self)
        return try await APITokenManager(request).create(name: input.name, days: input.expiresInDays)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable func revoke(request: Request) async throws -> HTTPStatus {
        guard let id = request.parameters.get("tokenID", as: UUID.self) else { throw MessagingError.notFound }
        try await APITokenManager(request).revoke(id)
        return .noContent
    }
}

/// A person's own API tokens: each expires (90 days unless chosen, at most a year), is shown once when made, and
/// lists when it was last used.
struct APITokenManager {
    let user: SignedInUser
    let db: any Database
    let writes: WriteSerializer
    let now: Date
    let address: String
    let staffTwoFactor: AppConfig.StaffTwoFactor

    init(_ request: Request) throws {
        user = try request.signedInUser
        db = request.db
        writes = request.application.writes
        now = request.now
        address = request.clientAddress
        staffTwoFactor = request.config.staffTwoFactor
    }

    struct TokenResponse: Content {
        let id: UUID
        let name: String
        let createdAt: Date
        let expiresAt: Date
        let lastUsedAt: Date?
    }

    struct CreatedTokenResponse: Content {
        let id: UUID
        let name: String
        let expiresAt: Date
        /// Shown once; only its hash is kept.
        let token: String
    }

    /// The tokens that still work, newest first.
    func list() async throws -> [TokenResponse] {
        try await APIToken.query(on: db).filter(\.$user.$id == user.id).filter(\.$revokedAt == nil)
            .filter(\.$expiresAt > now).sort(\.$createdAt, .descending).all().map {
                TokenResponse(
                    id: try $0.requireID(), name: $0.name, createdAt: $0.createdAt, expiresAt: $0.expiresAt ?? now,
                    lastUsedAt: $0.lastUsedAt)
            }
    }

    func create(name: String?, days: Int?) async throws -> CreatedTokenResponse {
        let name = name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard (1...100).contains(name.count) else {
            throw MessagingError(
                .unprocessableEntity, "name_required", "Give the token a name of 1 to 100 characters.", field: "name")
        }
        let days = days ?? APITokens.defaultDays
        guard (1...APITokens.maximumDays).contains(days) else {
            throw MessagingError(
                .unprocessableEntity, "invalid_expiry",
                "A token lasts 1 to \(APITokens.maximumDays) days.", field: "expiresInDays")
        }
        // A token signs in without the second step, so only a session that took it may make one for someone who has it.
        let setUp = try await TwoFactor.status(of: user.id, on: db.sql()) != nil
        let usesSecondFactor = setUp || TwoFactor.isRequired(for: user.roles, staffTwoFactor)
        guard !usesSecondFactor || user.passedSecondFactor else {
            throw MessagingError(
                .forbidden, "two_factor_session_required",
                "Tokens for an account with two-step verification are made on the web, after signing in with a code.")
        }
        let secret = SessionStore.newToken()
        let token = APIToken(
            userID: user.id, name: name, tokenHash: SessionStore.hash(secret), at: now,
            lifetime: TimeInterval(days * 86_400))
        try await writes.transaction(on: db) { db in
            try await token.create(on: db)
            try await audit("api_token.create", token.requireID(), after: ["expiresInDays": String(days)], on: db)
        }
        return CreatedTokenResponse(
            id: try token.requireID(), name: name, expiresAt: token.expiresAt ?? now, token: secret)
    }

    func revoke(_ id: UUID) async throws {
        let (user, now) = (user, now)
        let revoked = try await writes.transaction(on: db) { db in
            let revoked = try await db.sql().raw(
                """
                UPDATE api_tokens SET revoked_at = \(bind: now) WHERE id = \(bind: id) \
                AND user_id = \(bind: user.id) AND revoked_at IS NULL RETURNING id
                """
            ).all()
            if !revoked.isEmpty { try await audit("api_token.revoke", id, after: nil, on: db) }
            return !revoked.isEmpty
        }
        guard revoked else { throw MessagingError.notFound }
    }

    private func audit(_ action: String, _ id: UUID, after: [String: String]?, on db: any Database) async throws {
        try await AuditLog.append(
            AuditEntry(
                action: action, recordType: "api_token", recordID: id,
                change: after.map { AuditChange(before: nil, after: $0) }),
            context: AuditContext(
                organizationID: user.organizationID, actorID: user.id, actingForID: nil, address: address),
            at: now, on: db)
    }
}
