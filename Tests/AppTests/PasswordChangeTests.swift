import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Changing one's own password while signed in: NIST SP 800-63B's rules, and whoever knew the old password is out.
@Suite struct PasswordChangeTests {
    @Test func theRulesRefuseShortCommonAndUsernamePasswordsAndTakeALongPassphrase() throws {
        let rules = try PasswordRules.load(resourcesDirectory: DirectoryConfiguration.detect().resourcesDirectory)
        #expect(rules.common.count == 10_000)
        #expect(rules.problem(with: "short-one", username: "alex") != nil)
        #expect(rules.problem(with: String(repeating: "x", count: 201), username: "alex") != nil)
        // Common passwords of 12 characters or more, in any case, and the username itself.
        for common in ["qwerty123456", "1Qaz2Wsx3Edc", "LEAVEMEALONE"] {
            #expect(rules.problem(with: common, username: "alex")?.contains("too easy to guess") == true)
        }
        #expect(rules.problem(with: "Kepler.Holloway", username: "kepler.holloway") != nil)
        // A common password, the username or the service's name with digits or symbols added; runs; repeats.
        for guessable in [
            "password1234", "Welcome2024!", "iloveyou1234", "letmein12345", "1234password", "alex12345678",
            "Carebox2026!", "123456789012", "210987654321", "abcdefghijkl", "QWERTYUIOPAS", "aaaaaaaaaaaa",
            "abcabcabcabc", "123123123123",
        ] {
            #expect(
                rules.problem(with: guessable, username: "alex")?.contains("too easy to guess") == true, "\(guessable)")
        }
        // No composition rules: lower-case words alone are fine, and so are words with a number.
        for fine in ["purple kettle orbit", "purple kettle 42", "839201746592", "Holloway1988harbour"] {
            #expect(rules.problem(with: fine, username: "alex") == nil, "\(fine)")
        }
    }

    @Test func changingThePasswordSignsOutEverywhereElseAndRevokesAPITokens() async throws {
        try await withDemoAPI { api in
            let alexAPI = try await api.client("alex")
            let phone = api.browser.newWindow()
            #expect(try await phone.signIn("alex").status == .seeOther)
            let laptop = api.browser.newWindow()
            #expect(try await laptop.signIn("alex").status == .seeOther)
            let page = try await laptop.get("/account/password")
            #expect(page.status == .ok)
            #expect(page.body.contains("Change Password"))
            #expect(page.headers.first(name: .cacheControl) == "no-store")
            let before = try await User.find(api.user("alex"), on: api.app.db)?.passwordHash

            let new = "purple kettle orbit"
            let refused: [([String: String], String)] = [
                (
                    ["current_password": "not-my-password", "new_password": new, "confirm_password": new],
                    "That is not your current password."
                ),
                (
                    ["current_password": "", "new_password": new, "confirm_password": new],
                    "Enter your current password."
                ),
                (
                    [
                        "current_password": DemoOrganization.password, "new_password": "qwerty123456",
                        "confirm_password": "qwerty123456",
                    ], "too easy to guess"
                ),
                (
                    [
                        "current_password": DemoOrganization.password, "new_password": "short",
                        "confirm_password": "short",
                    ],
                    "at least 12 characters"
                ),
                (
                    [
                        "current_password": DemoOrganization.password, "new_password": new,
                        "confirm_password": "purple kettle orbiT",
                    ], "not the same"
                ),
            ]
            for (form, message) in refused {
                let answer = try await laptop.post("/account/password", form)
                #expect(answer.status == .unprocessableEntity)
                #expect(answer.body.contains(message))
                #expect(!answer.body.contains(new))
            }
            let forged = try await laptop.post(
                "/account/password",
                ["current_password": DemoOrganization.password, "new_password": new, "confirm_password": new],
                csrf: "forged")
            #expect(forged.status == .forbidden)
            #expect(try await api.browser.newWindow().get("/account/password").location?.hasPrefix("/sign-in") == true)
            // Refused changes change nothing: the same hash, and every credential still works.
            #expect(try await User.find(api.user("alex"), on: api.app.db)?.passwordHash == before)
            #expect(try await phone.get("/messages").status == .ok)
            #expect(try await alexAPI.get("/unread-counts").status == .ok)

            let changed = try await laptop.post(
                "/account/password",
                ["current_password": DemoOrganization.password, "new_password": new, "confirm_password": new])
            #expect(changed.status == .seeOther)
            #expect(changed.location == "/account/password?changed=1")
            #expect(try await laptop.get("/account/password?changed=1").body.contains("Your password has been changed"))
            #expect(try await laptop.get("/messages").status == .ok)

            #expect(try await phone.get("/messages").location?.hasPrefix("/sign-in") == true)
            #expect(try await alexAPI.get("/unread-counts").status == .unauthorized)
            #expect(try await api.browser.newWindow().signIn("alex").status == .unauthorized)
            #expect(try await api.browser.newWindow().signIn("alex", password: new).status == .seeOther)

            let event = try #require(
                try await AuditEvent.query(on: api.app.db).filter(\.$action == "account.password.change")
                    .filter(\.$recordID == api.user("alex")).first())
            #expect(event.actorID == api.user("alex"))
            #expect(!(event.detail ?? "").contains(new))
        }
    }

    @Test func wrongCurrentPasswordsCountAsFailedSignInsSoAStolenSessionCannotGuessWithoutLimit() async throws {
        try await withDemoAPI { api in
            let browser = api.browser.newWindow()
            #expect(try await browser.signIn("alex").status == .seeOther)
            let new = "purple kettle orbit"
            for guess in 1...5 {
                let answer = try await browser.post(
                    "/account/password",
                    ["current_password": "guess-number-\(guess)", "new_password": new, "confirm_password": new])
                #expect(answer.status == .unprocessableEntity)
            }
            let held = try await browser.post(
                "/account/password",
                ["current_password": DemoOrganization.password, "new_password": new, "confirm_password": new])
            #expect(held.status == .tooManyRequests)
            #expect(held.headers.first(name: .retryAfter) != nil)
            #expect(held.body.contains("Too many wrong passwords"))
            let failures = try await AuditEvent.query(on: api.app.db).filter(\.$action == "account.password.change")
                .filter(\.$outcome == "failure").filter(\.$recordID == api.user("alex")).count()
            #expect(failures == 5)
            #expect(try await api.browser.newWindow().signIn("alex").status == .tooManyRequests)
            #expect(try await api.browser.newWindow().signIn("alex", password: new).status == .tooManyRequests)
        }
    }

    @Test func theChangePageWaitsUntilATemporaryPasswordIsReplaced() async throws {
        try await withDemoAPI { api in
            let alex = try #require(try await User.find(api.user("alex"), on: api.app.db))
            alex.mustChangePassword = true
            try await alex.save(on: api.app.db)
            let browser = api.browser.newWindow()
            #expect(try await browser.signIn("alex").location == "/choose-password")
            #expect(try await browser.get("/account/password").location == "/choose-password")
            let refused = try await browser.post(
                "/account/password",
                [
                    "current_password": DemoOrganization.password, "new_password": "purple kettle orbit",
                    "confirm_password": "purple kettle orbit",
                ])
            #expect(refused.location == "/choose-password")
            #expect(try await User.find(api.user("alex"), on: api.app.db)?.mustChangePassword == true)
        }
    }
}
