import Vapor

/// Every form carries a token another site cannot know, so it cannot make a signed-in browser post a form. Signed in,
/// the token is derived from the session (an HMAC keyed by the session token), so it is bound to that session and a
/// new one comes with each sign-in; before signing in, it matches a cookie only this site sets (double submit). A
/// script's request may carry the token in a header instead. A state-changing request from a browser must also come
/// from this site: `Sec-Fetch-Site` same-origin (or none, typed by the user), and an `Origin` of this host or of
/// `CAREBOX_PUBLIC_URL`. The session cookie's SameSite=Lax is the last line of defence.
struct CSRFMiddleware: AsyncMiddleware {
    static let cookieName = "carebox_csrf"
    static let formField = "csrf_token"
    static let header = "X-CSRF-Token"

    struct TokenKey: StorageKey {
        typealias Value = String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let existing = request.cookies[Self.cookieName]?.string.nilIfEmpty
        let anonymous = existing ?? SessionStore.newToken()
        request.storage[TokenKey.self] = Self.sessionBoundToken(request) ?? anonymous

        if request.method == .POST {
            guard Self.comesFromThisSite(request) else { throw PageError.formExpired }
            try await Self.collectBody(of: request)
            let submitted = try request.headers.first(name: Self.header) ?? Self.formToken(of: request)
            guard let submitted,
                Self.accepted(request, anonymous: existing).contains(where: {
                    Self.constantTimeEquals($0, submitted)
                })
            else {
                throw PageError.formExpired
            }
        }

        let response = try await next.respond(to: request)
        if existing == nil {
            response.cookies[Self.cookieName] = HTTPCookies.Value(
                string: anonymous, path: "/", isSecure: request.config.secureCookies, isHTTPOnly: true, sameSite: .lax)
        }
        return response
    }

    /// Forms with a file (multipart) may be as large as a message's attachments; only signed-in users may send one that
    /// large, so no one else can make the server hold that much. Other forms are small, and so is a message form whose
    /// session has ended, unless it carried a file (then it has expired; its text is kept only when it fits).
    static let maxMultipartBytes = 27_000_000
    static let maxFormBytes = 1_000_000

    private static func collectBody(of request: Request) async throws {
        guard request.body.data == nil else { return }
        let isMultipart = request.headers.contentType?.type == "multipart"
        guard isMultipart, request.auth.has(SignedInUser.self) else {
            do {
                _ = try await request.body.collect(max: maxFormBytes).get()
            } catch {
                throw isMultipart ? PageError.formExpired : error
            }
            return
        }
        _ = try await request.body.collect(max: maxMultipartBytes).get()
    }

    /// The form's token; a form that carries text no one may send is refused as such, whatever its token.
    private static func formToken(of request: Request) throws -> String? {
        do {
            return try request.content.get(String.self, at: formField)
        } catch let refusal as MessagingError {
            throw refusal
        } catch {
            return nil
        }
    }

    /// Signed in, only the session's own token. Otherwise the pre-sign-in cookie's, or the token of a session that
    /// has just ended (a form written before the timeout, whose text is then kept through signing in again).
    private static func accepted(_ request: Request, anonymous: String?) -> [String] {
        if let bound = sessionBoundToken(request) { return [bound] }
        let ended = request.cookies[SessionStore.cookieName]?.string.nilIfEmpty.map(token(forSession:))
        return [anonymous, ended].compactMap { $0 }
    }

    /// The token of a signed-in browser's session: HMAC-SHA256 of a fixed label, keyed by the session token. Only
    /// whoever holds the session cookie (HttpOnly) can compute it; it changes with every sign-in.
    static func sessionBoundToken(_ request: Request) -> String? {
        guard request.auth.has(SignedInUser.self), request.headers.bearerAuthorization == nil,
            let session = request.cookies[SessionStore.cookieName]?.string.nilIfEmpty
        else { return nil }
        return token(forSession: session)
    }

    static func token(forSession session: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("carebox-csrf".utf8), using: SymmetricKey(data: Data(session.utf8)))
        return Data(code).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What the browser says about where a state-changing request comes from. Requests without these headers (old
    /// browsers, scripts) are judged by the token alone.
    static func comesFromThisSite(_ request: Request) -> Bool {
        if let site = request.headers.first(name: "Sec-Fetch-Site")?.lowercased(),
            !["same-origin", "none"].contains(site)
        {
            return false
        }
        guard let origin = request.headers.first(name: .origin) else { return true }
        let publicURL = request.config.publicURL
        let publicOrigin =
            "\(publicURL.scheme ?? "https")://\(publicURL.host ?? "")" + (publicURL.port.map { ":\($0)" } ?? "")
        if origin.lowercased() == publicOrigin.lowercased() { return true }
        // The same host the request was sent to (the scheme may differ behind a proxy that ends TLS).
        guard let host = request.headers.first(name: .host), let components = URLComponents(string: origin),
            let originHost = components.host
        else { return false }
        let originAuthority = originHost + (components.port.map { ":\($0)" } ?? "")
        return originAuthority.lowercased() == host.lowercased()
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Request {
    /// The token forms on this page must carry.
    var csrfToken: String { storage[CSRFMiddleware.TokenKey.self] ?? "" }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
