import Vapor

/// Every form carries a token that must match a cookie only this site can set (double-submit), so another site cannot
/// make a signed-in browser post a form. A script's request may carry the token in a header instead. The session
/// cookie's SameSite=Lax is the second line of defence.
struct CSRFMiddleware: AsyncMiddleware {
    static let cookieName = "carebox_csrf"
    static let formField = "csrf_token"
    static let header = "X-CSRF-Token"

    struct TokenKey: StorageKey {
        typealias Value = String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let existing = request.cookies[Self.cookieName]?.string.nilIfEmpty
        let token = existing ?? SessionStore.newToken()
        request.storage[TokenKey.self] = token

        if request.method == .POST {
            try await Self.collectBody(of: request)
            let submitted = try request.headers.first(name: Self.header) ?? Self.formToken(of: request)
            guard let existing, let submitted, constantTimeEquals(existing, submitted) else {
                throw PageError.formExpired
            }
        }

        let response = try await next.respond(to: request)
        if existing == nil {
            response.cookies[Self.cookieName] = HTTPCookies.Value(
                string: token, path: "/", isSecure: request.config.secureCookies, isHTTPOnly: true, sameSite: .lax)
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

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
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
