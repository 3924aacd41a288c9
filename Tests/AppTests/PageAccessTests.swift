import Foundation
import Testing
import Vapor

@testable import App

/// Every page route, tried without signing in, with only the password of an account that has two-step verification
/// on, and by a care-team member who has not yet set up the two-step verification required of them.
@Suite struct PageAccessTests {
    /// The routes open before signing in: signing in, its second step, signing up, resetting a password, an
    /// invitation, and the live-updates stream (which answers 401 itself).
    static let open: Set<String> = [
        "GET /", "GET /sign-in", "POST /sign-in", "POST /sign-out", "POST /session/keep-alive", "GET /sign-in/code",
        "POST /sign-in/code", "GET /forgot-password", "POST /forgot-password", "GET /reset-password",
        "POST /reset-password", "GET /sign-up", "POST /sign-up", "GET /invitation", "POST /invitation/accept",
        "POST /invitation/sign-up", "GET /events",
    ]

    /// Every route outside the API, with a made-up id for each parameter.
    static func pageRoutes(_ app: Application) -> [(method: HTTPMethod, path: String)] {
        app.routes.all.compactMap { route in
            guard route.path.first?.description != "api", [.GET, .POST].contains(route.method) else { return nil }
            let path =
                "/"
                + route.path.map { component in
                    if case .parameter = component { return UUID().uuidString }
                    return component.description
                }.joined(separator: "/")
            return (route.method, path == "/" ? "/" : path)
        }
    }

    @Test func noPageOpensWithoutSigningInNorWithThePasswordAloneWhenACodeIsDue() async throws {
        let clock = ManualClock(TwoFactorTests.start)
        try await withDemoAPI(clock: clock) { api in
            _ = try await TwoFactorTests.setUp("alex", api, clock)
            let passwordOnly = api.browser.newWindow()
            #expect(try await passwordOnly.signIn("alex").location == "/sign-in/code")
            let signedOut = api.browser.newWindow()
            _ = try await signedOut.get("/sign-in")

            // Nor the API, nor the live stream.
            #expect(
                try await passwordOnly.raw(.GET, "/api/v1/unread-counts", body: nil, headers: [:]).status
                    == .unauthorized)
            #expect(try await passwordOnly.get("/events").status == .unauthorized)

            let guarded = Self.pageRoutes(api.app).filter { !Self.open.contains("\($0.method) \($0.path)") }
            #expect(guarded.count > 40)
            for (method, path) in guarded {
                for browser in [signedOut, passwordOnly] {
                    let answer = method == .GET ? try await browser.get(path) : try await browser.post(path, [:])
                    // A page sends them to sign in; a message form posted without a session answers with the sign-in
                    // page itself, to keep what was typed.
                    let refused =
                        answer.location?.hasPrefix("/sign-in") == true
                        || (method == .POST && answer.status == .unauthorized && answer.body.contains("Sign In"))
                    #expect(refused, "\(method) \(path) → \(answer.status.code) \(answer.location ?? "")")
                }
            }
        }
    }

    @Test func aCareTeamMemberWithoutTheRequiredSecondStepReachesOnlyItsSetUp() async throws {
        try await withDemoAPI(adjust: { $0.staffTwoFactor = .required }) { api in
            let nurse = api.browser.newWindow()
            try await nurse.signIn("ntorres")
            let guarded = Self.pageRoutes(api.app).filter {
                $0.method == .GET && !Self.open.contains("GET \($0.path)")
                    && !$0.path.hasPrefix(TwoFactorController.path)
            }
            for (_, path) in guarded {
                let answer = try await nurse.get(path)
                #expect(answer.location == TwoFactorController.path, "GET \(path) → \(answer.status.code)")
            }
            #expect(try await nurse.get(TwoFactorController.path).status == .ok)
        }
    }
}
