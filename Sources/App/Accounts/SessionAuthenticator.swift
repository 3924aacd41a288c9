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

/// Sends anyone not signed in to the sign-in page, remembering where they were going.
struct RequireSignIn: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.auth.has(SignedInUser.self) else {
            var query = [URLQueryItem]()
            if request.method == .GET {
                query.append(URLQueryItem(name: "next", value: request.url.string))
            }
            if request.storage[SessionAuthenticator.SessionEndedKey.self] == true {
                query.append(URLQueryItem(name: "ended", value: "1"))
            }
            var target = URLComponents()
            target.path = "/sign-in"
            target.queryItems = query.isEmpty ? nil : query
            let response = request.redirect(to: target.string ?? "/sign-in", redirectType: .normal)
            if request.storage[SessionAuthenticator.SessionEndedKey.self] == true {
                response.cookies[SessionStore.cookieName] = SessionStore.expiredCookie(
                    secure: request.config.secureCookies)
            }
            return response
        }
        return try await next.respond(to: request)
    }
}
