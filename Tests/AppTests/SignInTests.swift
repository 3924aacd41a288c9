import Fluent
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct SignInTests {
    @Test func alexSignsInAndLandsOnToday() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let signIn = try await browser.get("/sign-in")
                #expect(signIn.body.contains(#"<label for="username">Username</label>"#))
                #expect(signIn.body.contains(#"<label for="password">Password</label>"#))
                #expect(signIn.body.contains(">Sign In</button>"))

                let response = try await browser.signIn("alex")
                #expect(response.status == .seeOther)
                #expect(response.location == "/today")

                let today = try await browser.get("/today")
                #expect(today.status == .ok)
                #expect(today.body.contains("<h1>Today</h1>"))
                #expect(today.body.contains("Alex Rivera"))
                #expect(today.body.contains(">Actions</h2>"))
                #expect(today.body.contains(">Messages</a>"))
                #expect(today.body.contains(">Sign Out</button>"))
            }
        }
    }

    @Test(arguments: [
        ("mchen", "/care-team"), ("ntorres", "/care-team"), ("admin", "/administration"), ("jordan", "/today"),
    ])
    func eachKindOfUserLandsOnTheirHome(username: String, home: String) async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let signIn = try await browser.signIn(username)
                let page = try await browser.get(home)
                #expect(signIn.location == home)
                #expect(page.status == .ok)
            }
        }
    }

    @Test func aPatientCannotOpenTheCareTeamHome() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                #expect(try await browser.get("/care-team").status == .notFound)
            }
        }
    }

    @Test func wrongPasswordAndUnknownUserGetTheSameAnswerAndNoSession() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let wrongPassword = try await browser.signIn("alex", password: "not-the-password")
                let unknownUser = try await browser.signIn("nobody", password: "not-the-password")

                for response in [wrongPassword, unknownUser] {
                    #expect(response.status == .unauthorized)
                    #expect(response.body.contains("The username or password you entered is incorrect."))
                    #expect(response.sessionCookie == nil)
                }
                #expect(
                    wrongPassword.body.replacingOccurrences(of: #"value="alex""#, with: "")
                        == unknownUser.body.replacingOccurrences(of: #"value="nobody""#, with: ""))
                #expect(try await UserSession.query(on: app.db).count() == 0)
                #expect(try await browser.get("/today").status == .seeOther)
            }
        }
    }

    @Test func emptyFieldsAreNamedAndChangeNothing() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                _ = try await browser.get("/sign-in")
                let response = try await browser.post("/sign-in", ["username": "alex", "password": ""])
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.contains("Enter your password."))
                #expect(try await SignInAttempt.query(on: app.db).count() == 0)
            }
        }
    }

    @Test func signingInIssuesANewSessionAndEndsTheOneBefore() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let first = try #require(try await browser.signIn("alex").sessionCookie)
                let second = try #require(try await browser.signIn("alex").sessionCookie)
                #expect(first.string != second.string)

                let replay = browser.newWindow()
                replay.setCookie(SessionStore.cookieName, first.string)
                #expect(try await replay.get("/today").status == .seeOther)
                #expect(try await browser.get("/today").status == .ok)
            }
        }
    }

    @Test func theSessionCookieIsHttpOnlyAndSameSiteLax() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let cookie = try #require(try await browser.signIn("alex").sessionCookie)
                #expect(cookie.isHTTPOnly)
                #expect(cookie.sameSite == .lax)
                #expect(!cookie.isSecure)
            }
        }
    }

    @Test func behindHttpsTheSessionCookieIsSecure() async throws {
        try await withDemo(adjust: { $0.publicURL = URL(string: "https://portal.example.org")! }) { app in
            try await TestBrowser.open(app) { browser in
                let cookie = try #require(try await browser.signIn("alex").sessionCookie)
                #expect(cookie.isSecure)
            }
        }
    }

    @Test func signingOutEndsTheSessionOnTheServer() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let token = try #require(try await browser.signIn("alex").sessionCookie?.string)
                let signOut = try await browser.post("/sign-out", [:])
                #expect(signOut.status == .seeOther)
                #expect(signOut.location == "/sign-in?signed-out=1")
                #expect(browser.cookies[SessionStore.cookieName] == nil)

                let replay = browser.newWindow()
                replay.setCookie(SessionStore.cookieName, token)
                let response = try await replay.get("/today")
                #expect(response.status == .seeOther)
                #expect(response.location?.hasPrefix("/sign-in") == true)
                #expect(try await UserSession.query(on: app.db).count() == 0)
            }
        }
    }

    @Test func aSessionIdleForFifteenMinutesHasEnded() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            try await TestBrowser.open(app) { browser in
                let token = try #require(try await browser.signIn("alex").sessionCookie?.string)
                clock.advance(by: 14 * 60)
                #expect(try await browser.get("/today").status == .ok)
                clock.advance(by: 15 * 60)

                let replay = browser.newWindow()
                replay.setCookie(SessionStore.cookieName, token)
                let response = try await replay.get("/today")
                #expect(response.status == .seeOther)
                #expect(response.location == "/sign-in?next=/today&ended=1")
                #expect(try await UserSession.query(on: app.db).count() == 0)
            }
        }
    }

    @Test func stayingSignedInKeepsTheSessionAndNeedsTheCSRFHeader() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let token = browser.csrfToken
                clock.advance(by: 14 * 60)
                let forged = try await browser.raw(.POST, "/session/keep-alive", body: nil, headers: [:])
                #expect(forged.status == .forbidden)
                let kept = try await browser.raw(
                    .POST, "/session/keep-alive", body: nil, headers: ["X-CSRF-Token": token])
                #expect(kept.status == .noContent)
                clock.advance(by: 14 * 60)
                #expect(try await browser.get("/today").status == .ok)
                clock.advance(by: 16 * 60)
                let ended = try await browser.raw(
                    .POST, "/session/keep-alive", body: nil, headers: ["X-CSRF-Token": token])
                #expect(ended.status == .unauthorized)
            }
        }
    }

    @Test func aMessagePostedAfterTheSessionEndedBecomesADraftOnlyAfterSigningInAgain() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                _ = try await browser.get("/messages/new")
                clock.advance(by: 16 * 60)
                let message = [
                    "message_type": ids.types["General Message"]!.uuidString,
                    "recipient": "provider:\(ids.users["mchen"]!.uuidString)", "subject": "Knee",
                    "body_text": #"Typed "late" <b>"#, "patient": ids.users["alex"]!.uuidString,
                ]
                let expired = try await browser.post("/messages", message.merging(["action": "send"]) { $1 })
                #expect(expired.status == .unauthorized)
                #expect(expired.body.contains(#"name="body_text" value="Typed &quot;late&quot; &lt;b&gt;""#))
                #expect(expired.body.contains(#"name="unsent" value="new""#))
                #expect(try await Draft.query(on: app.db).count() == 0)

                let signIn = message.merging(
                    ["unsent": "new", "username": "alex", "password": DemoOrganization.password]) { $1 }
                #expect(try await browser.post("/sign-in", signIn, csrf: "forged").status == .forbidden)
                #expect(try await Draft.query(on: app.db).count() == 0)
                let signedIn = try await browser.post("/sign-in", signIn)
                let draft = try #require(try await Draft.query(on: app.db).first())
                #expect(signedIn.location == "/messages/new?draft=\(draft.id!.uuidString)")
                #expect(draft.$owner.id == ids.users["alex"]!)
                #expect(draft.subject == "Knee")
                #expect(try await Conversation.query(on: app.db).count() == 0)
            }
        }
    }

    @Test func aBusySessionStillEndsTwelveHoursAfterSigningIn() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                for _ in 0..<(12 * 6 - 1) {
                    clock.advance(by: 10 * 60)
                    #expect(try await browser.get("/today").status == .ok)
                }
                clock.advance(by: 10 * 60)
                #expect(try await browser.get("/today").status == .seeOther)
            }
        }
    }

    @Test func aSignedOutVisitIsSentToSignInAndReturnsAfterwards() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let visit = try await browser.get("/care-team")
                #expect(visit.status == .seeOther)
                #expect(visit.location == "/sign-in?next=/care-team")

                let form = try await browser.get("/sign-in?next=/care-team")
                #expect(form.body.contains(#"name="next" value="/care-team""#))
                let signIn = try await browser.signIn("mchen", next: "/care-team")
                #expect(signIn.location == "/care-team")
            }
        }
    }

    @Test(arguments: ["//evil.example/", "https://evil.example/", "/\\evil.example"])
    func signInNeverRedirectsOffSite(next: String) async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let signIn = try await browser.signIn("alex", next: next)
                #expect(signIn.location == "/today")
            }
        }
    }

    @Test func aFormWithoutTheRightTokenIsRefused() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                _ = try await browser.get("/sign-in")
                let response = try await browser.post(
                    "/sign-in", ["username": "alex", "password": DemoOrganization.password], csrf: "forged")
                #expect(response.status == .forbidden)
                #expect(response.sessionCookie == nil)
                #expect(try await UserSession.query(on: app.db).count() == 0)
            }
        }
    }

    @Test func repeatedFailuresForOneAccountAreSlowedDown() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            try await TestBrowser.open(app) { browser in
                for _ in 0..<5 {
                    #expect(try await browser.signIn("alex", password: "guess").status == .unauthorized)
                }
                let throttled = try await browser.signIn("alex")
                #expect(throttled.status == .tooManyRequests)
                #expect(throttled.headers.first(name: .retryAfter) == "900")
                #expect(throttled.sessionCookie == nil)
                #expect(throttled.body.contains("Too many unsuccessful sign-in attempts."))

                // Other accounts are not held back by someone guessing at Alex's.
                #expect(try await browser.newWindow().signIn("jordan").status == .seeOther)

                clock.advance(by: 15 * 60)
                #expect(try await browser.signIn("alex").status == .seeOther)
            }
        }
    }

    @Test func repeatedFailuresFromOneAddressAreSlowedDownAcrossAccounts() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                for attempt in 0..<20 {
                    let failure = try await browser.signIn("guess\(attempt)", password: "guess")
                    #expect(failure.status == .unauthorized)
                }
                let throttled = try await browser.signIn("alex")
                #expect(throttled.status == .tooManyRequests)
            }
        }
    }

    @Test func pagesCarryAStrictContentSecurityPolicyAndAreNotCached() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let page = try await browser.get("/sign-in")
                let policy = page.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(page.headers.first(name: .cacheControl) == "no-store")
                #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
        }
    }

    @Test func namesAreEscapedOnPages() async throws {
        try await withDemo { app in
            let alex = try #require(try await User.query(on: app.db).filter(\.$username == "alex").first())
            alex.name = #"<script>alert("x")</script> Rivera"#
            try await alex.save(on: app.db)
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let today = try await browser.get("/today")
                #expect(!today.body.contains("<script>alert"))
                #expect(today.body.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Rivera"))
            }
        }
    }

    @Test func anUnknownPageAnswersNotFoundAsAPage() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                let page = try await browser.get("/no-such-page")
                #expect(page.status == .notFound)
                #expect(page.body.contains("Page not found"))
            }
        }
    }

    @Test func signInsFailuresAndSignOutsAreAudited() async throws {
        try await withDemo { app in
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex", password: "wrong")
                try await browser.signIn("nobody", password: "wrong")
                try await browser.signIn("alex")
                _ = try await browser.post("/sign-out", [:])
            }
            let events = try await AuditEvent.query(on: app.db).sort(\.$sequence).all()
            #expect(
                events.map { "\($0.action) \($0.outcome)" } == [
                    "session.sign_in failure", "session.sign_in failure", "session.sign_in success",
                    "session.sign_out success",
                ])
            let alex = try await User.query(on: app.db).filter(\.$username == "alex").first()!.id
            #expect(events.map(\.actorID) == [alex, nil, alex, alex])
            #expect(events.allSatisfy { $0.address == "127.0.0.1" })
            #expect(try await AuditLog.verify(on: app.db) == .intact(events: 4))
        }
    }
}
