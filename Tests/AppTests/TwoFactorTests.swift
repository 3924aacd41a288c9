import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Two-step verification (RFC 6238 codes from an authenticator app, and recovery codes), from setting it up to signing
/// in, replays, guessing, an administrator's reset, and the care team's obligation to use it.
@Suite struct TwoFactorTests {
    static let start = ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!

    @Test func codesAreRFC6238sAndSecretsAreBase32() throws {
        // RFC 6238, appendix B: the SHA-1 secret, with the last six of its eight digits.
        let secret = Array("12345678901234567890".utf8)
        let totp = TOTP(secret: secret)
        for (seconds, code) in [
            (59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            #expect(totp.code(forStep: TOTP.step(at: Date(timeIntervalSince1970: TimeInterval(seconds)))) == code)
        }
        #expect(Base32.encode(secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode("gezd gnbv-gy3tqojqgezdgnbvgy3tqojq") == secret)
        #expect(Base32.decode("GEZ1") == nil)
        let random = [UInt8].random(count: 20)
        #expect(Base32.decode(Base32.encode(random)) == random)
        // ±1 step, no further.
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let step = TOTP.step(at: now)
        #expect(totp.matchingStep(totp.code(forStep: step - 1), at: now) == step - 1)
        #expect(totp.matchingStep(totp.code(forStep: step + 1), at: now) == step + 1)
        #expect(totp.matchingStep(totp.code(forStep: step - 2), at: now) == nil)
        #expect(totp.matchingStep(totp.code(forStep: step + 2), at: now) == nil)
    }

    @Test func theQRCodeIsDrawnHereAsAnImage() throws {
        let uri = TOTP.provisioningURI(
            secret: [UInt8](repeating: 7, count: 20), account: "ntorres", issuer: "Riverbend")
        #expect(uri.hasPrefix("otpauth://totp/Riverbend:ntorres?secret="))
        let svg = try #require(QRCodeImage.svg(uri))
        #expect(svg.hasPrefix("<svg"))
        // A QR code of version v is 17 + 4v modules across; with the quiet zone, 8 more. This address needs version 5
        // at error correction M.
        #expect(svg.contains("viewBox=\"0 0 45 45\""))
        #expect(svg.components(separatedBy: "h1v1h-1z").count > 400)
        #expect(QRCodeImage.dataURL(uri)?.hasPrefix("data:image/svg+xml;base64,") == true)
    }

    @Test func settingItUpThenSigningInTakesACodeThatWorksOnce() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock) { api in
            let laptop = api.browser.newWindow()
            try await laptop.signIn("alex")
            #expect(try await laptop.get("/account/two-factor").body.contains("Set Up Two-Step Verification"))
            let begun = try await laptop.post("/account/two-factor/begin", [:])
            #expect(begun.location == "/account/two-factor/set-up")
            let setUp = try await laptop.get("/account/two-factor/set-up")
            #expect(setUp.body.contains("src=\"data:image/svg+xml;base64,"))
            // The app lists the account under the organisation's name, and a phone that holds the app can open it.
            #expect(setUp.body.contains("the 6-digit code the app now shows for Riverbend Health."))
            #expect(setUp.body.contains("<a href=\"otpauth://totp/Riverbend%20Health:alex?secret="))
            let secret = try #require(Self.secret(on: setUp.body))

            // The secret is kept encrypted, bound to its owner.
            let sealed = try await api.app.db.sql().raw("SELECT secret_sealed FROM two_factor_secrets").first()?
                .decode(column: "secret_sealed", as: String.self)
            let stored = try #require(sealed)
            #expect(!stored.contains(Base32.encode(secret)))
            #expect(try api.app.secretSealer.open(stored, for: api.user("alex")) == secret)
            #expect((try? api.app.secretSealer.open(stored, for: api.user("jordan"))) == nil)

            let wrong = try await laptop.post("/account/two-factor/confirm", ["code": "000000"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.body.contains("That code did not match"))
            let code = Self.code(secret, clock)
            let confirmed = try await laptop.post("/account/two-factor/confirm", ["code": code])
            #expect(confirmed.status == .ok)
            let recoveryCodes = Self.recoveryCodes(on: confirmed.body)
            #expect(recoveryCodes.count == 10)
            #expect(Set(recoveryCodes).count == 10)
            #expect(try await laptop.get("/account/two-factor").body.contains("You have 10 unused recovery codes"))

            // The password alone now signs no one in: the session waits for the code.
            let phone = api.browser.newWindow()
            #expect(try await phone.signIn("alex", next: "/messages").location == "/sign-in/code?next=/messages")
            #expect(try await phone.get("/messages").location?.hasPrefix("/sign-in") == true)
            let codePage = try await phone.get("/sign-in/code").body
            #expect(codePage.contains("Enter Your Code"))
            #expect(codePage.contains("the 6-digit code it shows for Riverbend Health."))
            // The code used to set it up is spent.
            let replay = try await phone.post("/sign-in/code", ["code": code, "next": "/messages"])
            #expect(replay.status == .unprocessableEntity)
            #expect(replay.body.contains("That code did not work"))
            clock.advance(by: 30)
            let next = Self.code(secret, clock)
            let passed = try await phone.post("/sign-in/code", ["code": next, "next": "/messages"])
            #expect(passed.status == .seeOther)
            #expect(passed.location == "/messages")
            #expect(try await phone.get("/messages").status == .ok)
            // The same code in another browser, within its 90 seconds, is refused.
            let tablet = api.browser.newWindow()
            try await tablet.signIn("alex")
            #expect(try await tablet.post("/sign-in/code", ["code": next]).status == .unprocessableEntity)

            // One step either side is accepted; two are not.
            clock.advance(by: 60)
            #expect(
                try await tablet.post("/sign-in/code", ["code": Self.code(secret, clock, offset: -2)]).status
                    == .unprocessableEntity)
            #expect(
                try await tablet.post("/sign-in/code", ["code": Self.code(secret, clock, offset: 2)]).status
                    == .unprocessableEntity)
            #expect(
                try await tablet.post("/sign-in/code", ["code": Self.code(secret, clock, offset: -1)]).status
                    == .seeOther)
            // An older step than the last one accepted is never accepted again, even inside the window.
            let desk = api.browser.newWindow()
            try await desk.signIn("alex")
            #expect(
                try await desk.post("/sign-in/code", ["code": Self.code(secret, clock, offset: -1)]).status
                    == .unprocessableEntity)

            // A recovery code works once, and says how many are left.
            let used = try await desk.post("/sign-in/code", ["code": recoveryCodes[0].lowercased()])
            #expect(used.location == "/account/two-factor?recovery-codes-left=9")
            #expect(try await desk.get(used.location ?? "").body.contains("You have 9 left"))
            let again = api.browser.newWindow()
            try await again.signIn("alex")
            #expect(try await again.post("/sign-in/code", ["code": recoveryCodes[0]]).status == .unprocessableEntity)
            #expect(try await again.post("/sign-in/code", ["code": recoveryCodes[1]]).status == .seeOther)

            let actions = try await AuditEvent.query(on: api.app.db).filter(\.$actorID == api.user("alex"))
                .all().map { "\($0.action) \($0.outcome)" }
            for expected in [
                "two_factor.enrol success", "session.sign_in password_accepted", "session.second_factor failure",
                "two_factor.recovery_code.use success",
            ] {
                #expect(actions.contains(expected), "\(expected)")
            }
        }
    }

    @Test func twoSignInsWithOneCodeAtOnceLetOneIn() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock) { api in
            let secret = try await Self.setUp("alex", api, clock)
            clock.advance(by: 30)
            let code = Self.code(secret, clock)
            let browsers = (0..<6).map { _ in api.browser.newWindow() }
            for browser in browsers { try await browser.signIn("alex") }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for browser in browsers {
                    group.addTask { try await browser.post("/sign-in/code", ["code": code]).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .seeOther }.count == 1)
            #expect(statuses.filter { $0 == .unprocessableEntity }.count == 5)
        }
    }

    /// A session waiting for its code times out like any other: after the idle timeout even the right code signs no
    /// one in, and the page says the session ended.
    @Test func aSessionWaitingForItsCodeTimesOut() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock) { api in
            let secret = try await Self.setUp("alex", api, clock)
            let phone = api.browser.newWindow()
            #expect(try await phone.signIn("alex").location == "/sign-in/code")
            clock.advance(by: 16 * 60)
            let late = try await phone.post("/sign-in/code", ["code": Self.code(secret, clock)])
            #expect(late.location == "/sign-in?ended=1")
            #expect(try await phone.get("/messages").location?.hasPrefix("/sign-in") == true)
        }
    }

    @Test func wrongCodesAreThrottledAndThePasswordAgainDoesNotClearThem() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock) { api in
            let secret = try await Self.setUp("alex", api, clock)
            clock.advance(by: 30)
            let guesser = api.browser.newWindow()
            for attempt in 0..<8 {
                if attempt % 3 == 0 { try await guesser.signIn("alex") }
                _ = try await guesser.post("/sign-in/code", ["code": String(format: "%06d", attempt)])
            }
            let right = try await guesser.post("/sign-in/code", ["code": Self.code(secret, clock)])
            #expect(right.status == .tooManyRequests)
            #expect(right.body.contains("Too many wrong codes"))
            #expect(right.headers.first(name: .retryAfter) != nil)
            #expect(try await guesser.get("/messages").location?.hasPrefix("/sign-in") == true)
        }
    }

    @Test func theCareTeamMustSetItUpBeforeAnythingElseWhereRequired() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock, adjust: { $0.staffTwoFactor = .required }) { api in
            let nurse = api.browser.newWindow()
            try await nurse.signIn("ntorres")
            #expect(try await nurse.get("/care-team").location == "/account/two-factor")
            #expect(try await nurse.get("/account/password").location == "/account/two-factor")
            let page = try await nurse.get("/account/two-factor")
            #expect(page.body.contains("Your organization requires two-step verification"))
            let api403 = try await nurse.raw(.GET, "/api/v1/unread-counts", body: nil, headers: [:])
            #expect(api403.status == .forbidden)
            #expect(api403.body.contains("two_factor_setup_required"))
            // A token made without the second step would get round it.
            let tokenRefused = try await nurse.raw(
                .POST, "/api/v1/tokens", body: #"{"name":"script"}"#,
                headers: ["Content-Type": "application/json", "X-CSRF-Token": nurse.csrfToken])
            #expect(tokenRefused.status == .forbidden)

            // Patients are not asked.
            let alex = api.browser.newWindow()
            try await alex.signIn("alex")
            #expect(try await alex.get("/messages").status == .ok)

            _ = try await nurse.post("/account/two-factor/begin", [:])
            let secret = try #require(Self.secret(on: try await nurse.get("/account/two-factor/set-up").body))
            let confirmed = try await nurse.post("/account/two-factor/confirm", ["code": Self.code(secret, clock)])
            #expect(confirmed.body.contains("Save these recovery codes now"))
            #expect(try await nurse.get("/care-team").status == .ok)
            // This session passed the second step, so it may make a token.
            let token = try await nurse.raw(
                .POST, "/api/v1/tokens", body: #"{"name":"script"}"#,
                headers: ["Content-Type": "application/json", "X-CSRF-Token": nurse.csrfToken])
            #expect(token.status == .created)
            // Required: it cannot be turned off.
            let off = try await nurse.post("/account/two-factor/turn-off", ["password": DemoOrganization.password])
            #expect(off.status == .forbidden)
            #expect(try await TwoFactor.status(of: api.user("ntorres"), on: api.app.db.sql()) != nil)
        }
    }

    @Test func aPatientTurnsItOffWithTheirPasswordAndMakesNewRecoveryCodes() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock) { api in
            let secret = try await Self.setUp("alex", api, clock)
            clock.advance(by: 30)
            let laptop = api.browser.newWindow()
            try await laptop.signIn("alex")
            _ = try await laptop.post("/sign-in/code", ["code": Self.code(secret, clock)])
            let wrong = try await laptop.post("/account/two-factor/recovery-codes", ["password": "not it"])
            #expect(wrong.status == .unprocessableEntity)
            let renewed = try await laptop.post(
                "/account/two-factor/recovery-codes", ["password": DemoOrganization.password])
            #expect(Self.recoveryCodes(on: renewed.body).count == 10)
            #expect(
                try await laptop.post("/account/two-factor/turn-off", ["password": "not it"]).status
                    == .unprocessableEntity)
            let off = try await laptop.post("/account/two-factor/turn-off", ["password": DemoOrganization.password])
            #expect(off.body.contains("Two-step verification is off"))
            #expect(try await api.browser.newWindow().signIn("alex").location == "/today")
            #expect(try await api.app.db.rowCount(of: "recovery_codes") == 0)
        }
    }

    @Test func anAdministratorResetsItSigningThePersonOutAndItIsAudited() async throws {
        let clock = ManualClock(Self.start)
        try await withDemoAPI(clock: clock, adjust: { $0.staffTwoFactor = .required }) { api in
            let admin = api.browser.newWindow()
            try await admin.signIn("admin")
            let adminSecret = try await Self.setUp(in: admin, clock)
            _ = adminSecret
            let secret = try await Self.setUp("ntorres", api, clock)
            clock.advance(by: 30)
            let nurse = api.browser.newWindow()
            try await nurse.signIn("ntorres")
            _ = try await nurse.post("/sign-in/code", ["code": Self.code(secret, clock)])
            #expect(try await nurse.get("/care-team").status == .ok)

            let torres = api.user("ntorres")
            let person = try await admin.get("/administration/people/\(torres)")
            #expect(person.body.contains("Reset Two-Step Verification"))
            let version = try #require(try await User.find(torres, on: api.app.db)?.version)
            let stale = try await admin.post(
                "/administration/people/\(torres)/two-factor/reset", ["version": String(version - 1)])
            #expect(stale.status == .conflict)
            let reset = try await admin.post(
                "/administration/people/\(torres)/two-factor/reset", ["version": String(version)])
            #expect(reset.location == "/administration/people/\(torres)?done=two-factor-reset")
            #expect(try await TwoFactor.status(of: torres, on: api.app.db.sql()) == nil)
            #expect(try await nurse.get("/care-team").location?.hasPrefix("/sign-in") == true)
            // Signing in again, the password is enough to reach set-up, and only set-up.
            let again = api.browser.newWindow()
            try await again.signIn("ntorres")
            #expect(try await again.get("/care-team").location == "/account/two-factor")

            let audited = try await AuditEvent.query(on: api.app.db).filter(
                \.$action == "admin.person.two_factor_reset"
            )
            .all()
            #expect(audited.count == 1)
            #expect(audited.first?.recordID == torres)
            #expect(audited.first?.actorID == api.user("admin"))
        }
    }

    // MARK: Helpers

    /// Sets it up for `username` in a browser of its own, and answers the secret.
    static func setUp(_ username: String, _ api: DemoAPI, _ clock: ManualClock) async throws -> [UInt8] {
        let browser = api.browser.newWindow()
        try await browser.signIn(username)
        return try await setUp(in: browser, clock)
    }

    static func setUp(in browser: TestBrowser, _ clock: ManualClock) async throws -> [UInt8] {
        _ = try await browser.post("/account/two-factor/begin", [:])
        let secret = try #require(secret(on: try await browser.get("/account/two-factor/set-up").body))
        let confirmed = try await browser.post("/account/two-factor/confirm", ["code": code(secret, clock)])
        #expect(recoveryCodes(on: confirmed.body).count == 10)
        return secret
    }

    static func secret(on page: String) -> [UInt8]? {
        guard let match = page.firstMatch(of: /id="secret-key">([A-Z2-7 ]+)</) else { return nil }
        return Base32.decode(String(match.1))
    }

    static func recoveryCodes(on page: String) -> [String] {
        page.matches(of: /<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})<\/code><\/li>/).map { String($0.1) }
    }

    static func code(_ secret: [UInt8], _ clock: ManualClock, offset: Int64 = 0) -> String {
        TOTP(secret: secret).code(forStep: TOTP.step(at: clock.now()) + offset)
    }
}
