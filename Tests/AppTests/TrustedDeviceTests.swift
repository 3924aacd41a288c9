import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Five wrong passwords used to lock the real person out for 15 minutes, whoever typed them. A browser that has
/// signed in to the account before is now judged only by its own failures (issue 12, item 13).
@Suite struct TrustedDeviceTests {
    func signOut(_ browser: TestBrowser) async throws {
        _ = try await browser.post("/sign-out", [:])
    }

    @Test func aStrangersGuessesDoNotLockOutSomeoneWhoSignedInFromThisBrowserBefore() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let alexsLaptop = browser.newWindow()
                let first = try await alexsLaptop.signIn("alex")
                #expect(first.status == .seeOther)
                let device = try #require(first.headers.setCookie?[TrustedDevice.cookieName])
                #expect(device.isHTTPOnly)
                #expect(device.path == "/sign-in")
                #expect(device.sameSite == .strict)
                #expect(
                    try await TrustedDevice.query(on: app.db).first()?.tokenHash == SessionStore.hash(device.string))
                try await signOut(alexsLaptop)

                let stranger = browser.newWindow()
                for _ in 0..<5 {
                    #expect(try await stranger.signIn("alex", password: "guess").status == .unauthorized)
                }
                #expect(try await stranger.signIn("alex").status == .tooManyRequests)
                // A browser new to the account is still held back…
                #expect(try await browser.newWindow().signIn("alex").status == .tooManyRequests)
                // …but Alex's own browser gets in, and is not given a second device cookie.
                let again = try await alexsLaptop.signIn("alex")
                #expect(again.status == .seeOther)
                #expect(again.headers.setCookie?[TrustedDevice.cookieName] == nil)
                #expect(try await TrustedDevice.query(on: app.db).count() == 1)
            }
        }
    }

    @Test func aTrustedBrowserIsStillLimitedByItsOwnFailures() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                try await signOut(browser)
                for _ in 0..<5 {
                    #expect(try await browser.signIn("alex", password: "guess").status == .unauthorized)
                }
                #expect(try await browser.signIn("alex").status == .tooManyRequests)
                // Its failures are its own: another browser is not held back by them.
                #expect(try await browser.newWindow().signIn("alex").status == .seeOther)
                clock.advance(by: 15 * 60)
                #expect(try await browser.signIn("alex").status == .seeOther)
            }
        }
    }

    @Test func anotherAccountsDeviceCookieIsNoHelp() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let jordansPhone = browser.newWindow()
                try await jordansPhone.signIn("jordan")
                try await signOut(jordansPhone)
                for _ in 0..<5 {
                    #expect(try await browser.newWindow().signIn("alex", password: "guess").status == .unauthorized)
                }
                #expect(try await jordansPhone.signIn("alex").status == .tooManyRequests)
            }
        }
    }
}
