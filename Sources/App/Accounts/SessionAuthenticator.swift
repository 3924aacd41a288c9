import Vapor

/// Turns the session cookie into a `SignedInUser`, or notes that the session behind it has ended.
///
/// A request counts as activity (it keeps an idle session alive) unless it is the live-updates stream
/// (`recordsActivity: false`) or a page's script fetching in the background what the stream announced
/// (`X-Carebox-Background: 1`): a page left open must still time out.
struct SessionAuthenticator: AsyncMiddleware {
    struct SessionEndedKey: StorageKey {
        typealias Value = Bool
    }

    static let backgroundHeader = "X-Carebox-Background"

    var recordsActivity = true

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.cookies[SessionStore.cookieName]?.string, !token.isEmpty {
            let activity = recordsActivity && request.headers.first(name: Self.backgroundHeader) != "1"
            switch try await SessionStore(request: request).resume(token: token, recordingActivity: activity) {
            case .signedIn(var user):
                user.mustSetUpSecondFactor =
                    !user.passedSecondFactor && TwoFactor.isRequired(for: user.roles, request.config.staffTwoFactor)
                request.auth.login(user)
            case .awaitingCode:
                break
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
        // A temporary password opens one page only: choosing a new one. Two-step verification that is required and
        // not yet set up opens only its set-up page.
        if let only = request.auth.get(SignedInUser.self)?.onlyOpenPath, !request.url.path.hasPrefix(only) {
            return request.redirect(to: only, redirectType: .normal)
        }
        return try await next.respond(to: request)
    }
}
