import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Web-security headers and methods (issue 12, items 9, 11 and 14).
@Suite struct WebSecurityTests {
    static let pdf = Array("%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n".utf8)

    @Test func behindHTTPSEveryResponseAsksForHTTPSFromNowOn() async throws {
        try await withCarebox(adjust: { $0.publicURL = URL(string: "https://portal.example")! }) { app in
            try await TestBrowser.open(app) { browser in
                let page = try await browser.get("/sign-in")
                #expect(page.headers.first(name: "Strict-Transport-Security") == "max-age=31536000; includeSubDomains")
            }
        }
        try await withCarebox { app in
            try await TestBrowser.open(app) { browser in
                let page = try await browser.get("/sign-in")
                #expect(page.headers.first(name: "Strict-Transport-Security") == nil)
            }
        }
    }

    @Test func traceIsNotAllowed() async throws {
        try await withCarebox { app in
            try await TestBrowser.open(app) { browser in
                let trace = try await browser.raw(.TRACE, "/sign-in", body: nil, headers: [:])
                #expect(trace.status == .methodNotAllowed)
            }
        }
    }

    /// The form token changes when someone signs in and works only with that session (issue 12, item 12).
    @Test func theFormTokenIsNewAtSignInAndBelongsToThatSession() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                _ = try await browser.get("/sign-in")
                let beforeSignIn = browser.csrfToken
                try await browser.signIn("alex")
                let afterSignIn = browser.csrfToken
                #expect(afterSignIn != beforeSignIn)
                let keepAlive = { (window: TestBrowser, token: String) in
                    try await window.raw(.POST, "/session/keep-alive", body: nil, headers: ["X-CSRF-Token": token])
                }
                #expect(try await keepAlive(browser, beforeSignIn).status == .forbidden)
                #expect(try await keepAlive(browser, afterSignIn).status == .noContent)

                let other = browser.newWindow()
                try await other.signIn("alex")
                #expect(try await keepAlive(other, afterSignIn).status == .forbidden)
                #expect(try await keepAlive(other, other.csrfToken).status == .noContent)
                // Signing in again in the first window replaces its token too.
                try await browser.signIn("alex")
                #expect(try await keepAlive(browser, afterSignIn).status == .forbidden)
            }
        }
    }

    /// A write a browser says came from another site is refused even with the right token.
    @Test func aWriteFromAnotherSiteIsRefusedWhateverItsToken() async throws {
        try await withDemo(adjust: { $0.publicURL = URL(string: "https://portal.example")! }) { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let token = browser.csrfToken
                let keepAlive = { (headers: [String: String]) in
                    try await browser.raw(
                        .POST, "/session/keep-alive", body: nil,
                        headers: headers.merging(["X-CSRF-Token": token]) { $1 }
                    ).status
                }
                #expect(try await keepAlive(["Origin": "https://evil.example"]) == .forbidden)
                #expect(try await keepAlive(["Sec-Fetch-Site": "cross-site"]) == .forbidden)
                #expect(try await keepAlive(["Sec-Fetch-Site": "same-site"]) == .forbidden)
                #expect(try await keepAlive(["Origin": "null"]) == .forbidden)
                #expect(try await keepAlive(["Origin": "https://portal.example"]) == .noContent)
                #expect(try await keepAlive(["Sec-Fetch-Site": "same-origin"]) == .noContent)
                #expect(try await keepAlive([:]) == .noContent)

                let draft = try await browser.raw(
                    .POST, "/api/v1/drafts", body: #"{"subject":"Hi"}"#,
                    headers: [
                        "Content-Type": "application/json", "X-CSRF-Token": token, "Origin": "https://evil.example",
                    ])
                #expect(draft.status == .forbidden)
            }
        }
    }

    /// Long paths answered 500 ("file name too long") to anyone; now no path is anything worse than 404 or 414.
    @Test func aLongPathIsNotFoundOrTooLongNeverAnError() async throws {
        try await withCarebox { app in
            try await TestBrowser.open(app) { browser in
                let long = String(repeating: "a", count: 256)
                let digits = String(repeating: "7", count: 4_100)
                for path in ["/\(long)", "/css/\(long)", "/js/\(long).js"] {
                    #expect(try await browser.get(path).status == .notFound, "\(path.prefix(30))")
                }
                // Anonymous: asked to sign in before anything is looked up.
                #expect(try await browser.get("/api/v1/conversations/\(digits)").status == .unauthorized)
                let tooLong = try await browser.get("/messages?q=" + String(repeating: "b", count: 9_000))
                #expect(tooLong.status == .uriTooLong)
                #expect(try await browser.get("/css/app.css").status == .ok)
            }
        }
    }

    /// A download may be read by no other site and run nothing; a refused one is audited like a granted one.
    @Test func downloadsAreSealedAndRefusedDownloadsAreAudited() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let draft: DraftResponse = try await alex.send(
                .POST, "/drafts",
                json: [
                    "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                    "recipient": demo.ids.provider("mchen"), "confidential": true, "body": "Private",
                ]
            ).decode()
            let file: AttachmentResponse = try await alex.upload(Self.pdf, named: "scan.pdf", to: draft.id).decode()
            _ = try await alex.send(.POST, "/drafts/\(draft.id)/send")

            let download = try await alex.get("/attachments/\(file.id)")
            #expect(download.status == .ok)
            #expect(download.headers.first(name: "Cross-Origin-Resource-Policy") == "same-origin")
            #expect(download.headers.first(name: "Content-Security-Policy") == "default-src 'none'; sandbox")

            let jordan = try await demo.client("jordan")
            #expect(try await jordan.get("/attachments/\(file.id)").status == .notFound)
            let refused = try await AuditEvent.query(on: demo.app.db).filter(\.$action == "attachment.download")
                .filter(\.$outcome == "refused").all()
            #expect(refused.count == 1)
            #expect(refused.first?.actorID == demo.user("jordan"))
            #expect(refused.first?.recordID == file.id)
        }
    }
}

/// Bad paging parameters are refused with the field named, never taken as the default (issue 12, item 9).
@Suite struct PagingParameterTests {
    @Test(arguments: ["abc", "2.5", "1e3", "99999999999999999999", "0", "101", "-1"])
    func aLimitThatIsNotAWholeNumberFromOneToAHundredIsRefused(limit: String) async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let torres = try await demo.client("ntorres")
            for (client, path) in [(alex, "/conversations"), (alex, "/drafts"), (torres, "/in-basket")] {
                let reply = try await client.get("\(path)?limit=\(limit)")
                #expect(reply.status == .unprocessableEntity, "\(path)")
                #expect(reply.json["field"] as? String == "limit", "\(path)")
            }
        }
    }
}
