import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The Security page's recent sign-ins, and the email a sign-in from a new browser sends.
@Suite struct SecurityPageTests {
    @Test func recentSignInsShowWhenWhereAndWhichBrowserAndMarkThisOne() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!)
        try await withDemoAPI(clock: clock) { api in
            let phone = api.browser.newWindow()
            try await phone.signIn("alex")
            clock.advance(by: 3600)
            let laptop = api.browser.newWindow()
            try await laptop.signIn("alex")
            let page = try await laptop.get("/account/security")
            #expect(page.status == .ok)
            #expect(page.body.contains("Recent Sign-Ins"))
            // Newest first, in the organisation's time (Chicago), with the address and a browser name, never the
            // whole User-Agent.
            let rows = page.body.matches(
                of: /<tr><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>(.*?)<\/td><\/tr>/)
            #expect(rows.count == 2)
            #expect(rows.first?.1.contains("10:00") == true)
            #expect(rows.last?.1.contains("9:00") == true)
            #expect(rows.allSatisfy { $0.3 == "127.0.0.1" })
            #expect(rows.first?.4.contains("This browser") == true)
            #expect(rows.last?.4.contains("This browser") == false)
            // Another person's sign-ins are not theirs to see.
            let jordan = api.browser.newWindow()
            try await jordan.signIn("jordan")
            #expect(
                try await jordan.get("/account/security").body
                    .matches(of: /<tr><td>/).count == 1)
            #expect(try await api.browser.newWindow().get("/account/security").location?.hasPrefix("/sign-in") == true)
        }
    }

    @Test func aSignInFromANewBrowserIsEmailedButNotTheFirstNorATrustedOne() async throws {
        guard Mailbox.serverIsRunning else { return }
        try await withDemoMail { api, mailbox in
            let first = api.browser.newWindow()
            try await first.signIn("alex")
            #expect(try await api.deliver() == 0)
            // The same browser again: it is trusted, so no notice.
            try await first.post("/sign-out", [:])
            try await first.signIn("alex")
            #expect(try await api.deliver() == 0)
            let stranger = api.browser.newWindow()
            try await stranger.signIn("alex")
            #expect(try await api.deliver() == 1)
            let emails = try mailbox.emails(to: "alex")
            #expect(emails.count == 1)
            #expect(emails.first?.subject == "Riverbend Health: a sign-in from a new device")
            #expect(emails.first?.body.contains("/account/security") == true)
            // Nothing of which browser, or anyone's name.
            for secret in ["Alex", "Rivera", "AsyncHTTPClient", "Unknown browser"] {
                #expect(emails.first?.wholeText.contains(secret) == false, "\(secret)")
            }
        }
    }
}
