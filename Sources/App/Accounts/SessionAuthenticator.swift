import Vapor

/// Turns the session cookie into a `SignedInUser`, or notes that the session behind it has ended.
struct SessionAuthenticator: AsyncMiddleware {
    struct SessionEndedKey: StorageKey {
        typealias Value = Bool
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.cookies[SessionStore.cookieName]?.string, !token.isEmpty {
            switch try await SessionStore(request: request).resume(token: token) {
            case .signedIn(let user):
                request.auth.login(user)
            case .ended:
                request.storage[SessionEndedKey.self] = true
            }
        }
        return try await next.respond(to: request)
    }
}

/// Sends anyone not signed in to the sign-in page, remembering where they were going; a message posted after the
/// session ended is carried there, so signing in again keeps it as a draft.
struct RequireSignIn: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.auth.has(SignedInUser.self) else {
            let ended = request.storage[SessionAuthenticator.SessionEndedKey.self] == true
            let response: Response
            if request.method == .POST, let unsent = UnsentMessage(posted: request) {
                response = try await SignInController.signInToKeep(unsent, request)
            } else {
                var query = [URLQueryItem]()
                if request.method == .GET {
                    query.append(URLQueryItem(name: "next", value: request.url.string))
                }
                if ended {
                    query.append(URLQueryItem(name: "ended", value: "1"))
                }
                var target = URLComponents()
                target.path = "/sign-in"
                target.queryItems = query.isEmpty ? nil : query
                response = request.redirect(to: target.string ?? "/sign-in", redirectType: .normal)
            }
            if ended {
                response.cookies[SessionStore.cookieName] = SessionStore.expiredCookie(
                    secure: request.config.secureCookies)
            }
            return response
        }
        return try await next.respond(to: request)
    }
}
