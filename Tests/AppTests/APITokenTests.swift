import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// API tokens that expire (issue 15): 90 days unless chosen, at most a year; listed with their last use; made and
/// revoked on the API tokens page too, and audited.
@Suite struct APITokenTests {
    @Test func aTokenWorksUntilItExpiresAndListsItsLastUse() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let made = try await alex.send(.POST, "/tokens", json: ["name": "Backup script", "expiresInDays": 30])
            #expect(made.status == .created)
            let secret = try #require(made.json["token"] as? String)
            let expires = try #require(ISO8601DateFormatter().date(from: made.json["expiresAt"] as? String ?? ""))
            #expect(abs(expires.timeIntervalSince(demo.clock.now()) - 30 * 86_400) < 5)

            let script = APIClient(browser: demo.browser, token: secret)
            #expect(try await script.get("/unread-counts").status == .ok)
            let listed = try await alex.get("/tokens")
            let mine = (try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [[String: Any]] ?? [])
                .first { $0["name"] as? String == "Backup script" }
            #expect(mine?["lastUsedAt"] as? String != nil)
            #expect(mine?["token"] == nil, "a secret is never listed")

            demo.clock.advance(by: 30 * 86_400 + 1)
            #expect(try await script.get("/unread-counts").status == .unauthorized)
            let after = try await alex.get("/tokens")
            #expect(!after.body.contains("Backup script"), "an expired token is no longer listed")
        }
    }

    @Test func ninetyDaysUnlessChosenAndAtMostAYear() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let plain = try await alex.send(.POST, "/tokens", json: ["name": "Default"])
            let expires = try #require(ISO8601DateFormatter().date(from: plain.json["expiresAt"] as? String ?? ""))
            #expect(abs(expires.timeIntervalSince(demo.clock.now()) - 90 * 86_400) < 5)
            for days in [0, 366, -5] {
                let refused = try await alex.send(.POST, "/tokens", json: ["name": "Too long", "expiresInDays": days])
                #expect(refused.status == .unprocessableEntity)
                #expect(refused.json["field"] as? String == "expiresInDays")
            }
        }
    }

    @Test func theAPITokensPageMakesAndRevokesTokensAndShowsTheSecretOnce() async throws {
        try await withDemoAPI { demo in
            let browser = demo.browser.newWindow()
            try await browser.signIn("alex")
            #expect(try await browser.get("/account/password").body.contains("href=\"/account/api-tokens\""))
            let made = try await browser.post("/account/api-tokens", ["name": "Phone app", "expires_in_days": "180"])
            #expect(made.status == .ok)
            let secret = try #require(
                made.body.firstMatch(of: /<code id="new-token">([A-Za-z0-9_-]+)<\/code>/)?.1)
            #expect(made.headers.first(name: .cacheControl) == "no-store")
            let page = try await browser.get("/account/api-tokens")
            #expect(page.body.contains("Phone app"))
            #expect(page.body.contains("May 24, 2027"), "180 days from November 25, 2026")
            #expect(!page.body.contains(String(secret)))

            let app = APIClient(browser: demo.browser, token: String(secret))
            #expect(try await app.get("/unread-counts").status == .ok)
            let token = try #require(
                try await APIToken.query(on: demo.app.db).filter(\.$name == "Phone app").first())
            let refused = try await browser.post("/account/api-tokens", ["name": "   ", "expires_in_days": "90"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("Give the token a name"))

            // Someone else's token is not found from here.
            let chen = demo.browser.newWindow()
            try await chen.signIn("mchen")
            #expect(try await chen.post("/account/api-tokens/\(token.id!)/revoke", [:]).status == .notFound)
            #expect(try await app.get("/unread-counts").status == .ok)

            let revoked = try await browser.post("/account/api-tokens/\(token.id!)/revoke", [:])
            #expect(revoked.location == "/account/api-tokens?revoked=1")
            #expect(try await app.get("/unread-counts").status == .unauthorized)
            let actions = try await AuditEvent.query(on: demo.app.db).filter(\.$recordID == token.id!)
                .all(\.$action)
            #expect(actions.sorted() == ["api_token.create", "api_token.revoke"])
        }
    }
}
