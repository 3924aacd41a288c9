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
