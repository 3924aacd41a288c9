import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// How the API is reached: bearer tokens, session cookies with their CSRF header, and messaging switched off.
@Suite struct APIAccessTests {
    @Test func aRevokedTokenNoLongerWorks() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let csrf = browser.csrfToken
                let created = try await browser.raw(
                    .POST, "/api/v1/tokens", body: #"{"name":"my script"}"#,
                    headers: ["Content-Type": "application/json", "X-CSRF-Token": csrf])
                #expect(created.status == .created)
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                let token = try decoder.decode(APITokenManager.CreatedTokenResponse.self, from: Data(created.body.utf8))
                let api = APIClient(browser: browser.newWindow(), token: token.token)
                #expect(try await api.get("/message-types").status == .ok)

                let revoked = try await api.send(.DELETE, "/tokens/\(token.id)")
                #expect(revoked.status == .noContent)
                #expect(try await api.get("/message-types").status == .unauthorized)
                #expect(try await APIToken.query(on: app.db).first()?.tokenHash != token.token)
            }
        }
    }

    @Test func aSessionCookieWriteWithoutTheCSRFHeaderIsRefused() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let read = try await browser.raw(.GET, "/api/v1/message-types", body: nil, headers: [:])
                #expect(read.status == .ok)
                let write = try await browser.raw(
                    .POST, "/api/v1/drafts", body: #"{"subject":"Hi"}"#, headers: ["Content-Type": "application/json"])
                #expect(write.status == .forbidden)
                #expect(try await Draft.query(on: app.db).count() == 0)
            }
        }
    }

    @Test(arguments: ["organisation", "patients"])
    func messagingSwitchedOffAnswersNotFoundEverywhere(switchedOffFor: String) async throws {
        try await withDemo { app in
            let organization = try await Organization.query(on: app.db).first()!
            if switchedOffFor == "organisation" {
                organization.messagingEnabled = false
            } else {
                organization.messagingAccountTypes = "provider,staff"
            }
            try await organization.save(on: app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                for path in ["/message-types", "/conversations", "/unread-counts", "/drafts", "/acting-for"] {
                    let reply = try await alex.get(path)
                    #expect(reply.status == .notFound, "\(path)")
                }
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                let expected: HTTPResponseStatus = switchedOffFor == "organisation" ? .notFound : .ok
                #expect(try await chen.get("/conversations").status == expected)
            }
        }
    }
}
