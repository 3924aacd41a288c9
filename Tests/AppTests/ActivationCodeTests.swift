import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Patient enrolment by activation code (issue 15): an administrator issues a code for a patient record with no account,
/// the patient signs up with it and their date of birth and lands on Today. Wrong tries say nothing of which part was
/// wrong, and a code works once.
@Suite struct ActivationCodeTests {
    static let password = "purple kettle orbit"
    static let birthDate = "1990-04-12"

    /// A patient record without an account, made by the demo's administrator; answers its id.
    static func newPatient(_ demo: DemoAPI, email: String? = nil) async throws -> UUID {
        let admin = try await demo.client("admin")
        let created = try await admin.send(
            .POST, "/admin/people", json: ["name": "Casey Nguyen", "roles": ["patient"], "birthDate": birthDate])
        try #require(created.status == .created)
        let id = try #require(UUID(uuidString: created.json["id"] as? String ?? ""))
        if let email {
            let user = try #require(try await User.find(id, on: demo.app.db))
            user.email = email
            try await user.save(on: demo.app.db)
        }
        return id
    }

    /// Issues a code through the API; answers the whole reply.
    static func issue(_ demo: DemoAPI, for patient: UUID, delivery: String = "print") async throws -> APIClient.Reply {
        let admin = try await demo.client("admin")
        let version = try await admin.get("/admin/people/\(patient)").headers.first(name: .eTag) ?? "\"1\""
        return try await admin.send(
            .POST, "/admin/people/\(patient)/activation-code", json: ["delivery": delivery],
            headers: ["If-Match": version])
    }

    static func signUp(
        _ browser: TestBrowser, code: String, birthDate: String = birthDate, username: String = "casey.n",
        password: String = password
    ) async throws -> TestBrowser.Page {
        _ = try await browser.get("/sign-up")
        return try await browser.post(
            "/sign-up",
            [
                "activation_code": code, "birth_date": birthDate, "username": username, "new_password": password,
                "confirm_password": password,
            ])
    }

    @Test func anAdministratorIssuesACodeAndThePatientSignsUpAndLandsOnToday() async throws {
        try await withDemoAPI { demo in
            let patient = try await Self.newPatient(demo)
            let issued = try await Self.issue(demo, for: patient)
            #expect(issued.status == .ok)
            #expect(issued.headers.first(name: .cacheControl) == "no-store")
            let code = try #require(issued.json["activationCode"] as? String)
            #expect(code.wholeMatch(of: /[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}/) != nil)
            // Only its hash is kept.
            let stored = try await demo.app.db.sql().raw("SELECT code_hash FROM activation_codes").all()
                .map { try $0.decode(column: "code_hash", as: String.self) }
            #expect(stored == [PrintableCode.hash(code)])

            let browser = demo.browser.newWindow()
            #expect(try await browser.get("/sign-in").body.contains("href=\"/sign-up\""))
            // Typed as a person might: lower case, with spaces.
            let signedUp = try await Self.signUp(
                browser, code: " " + code.lowercased().replacingOccurrences(of: "-", with: " "))
            #expect(signedUp.status == .seeOther)
            #expect(signedUp.location == "/today")
            let today = try await browser.get("/today")
            #expect(today.status == .ok)
            #expect(today.body.contains("Casey Nguyen"))
            #expect(try await demo.browser.newWindow().signIn("casey.n", password: Self.password).status == .seeOther)

            // Once only, even with the right date of birth.
            let again = try await Self.signUp(demo.browser.newWindow(), code: code, username: "casey.two")
            #expect(again.status == .unprocessableEntity)
            #expect(again.body.contains("The activation code or date of birth is not right"))
            let events = try await AuditEvent.query(on: demo.app.db).filter(\.$recordID == patient)
                .filter(\.$action ~~ ["admin.person.activation_code", "account.activate"]).all()
            #expect(events.map(\.action).sorted() == ["account.activate", "admin.person.activation_code"])
            #expect(events.first { $0.action == "account.activate" }?.actorID == patient)
        }
    }

    /// A wrong code and a wrong date of birth get the same page; five wrong dates of birth void the code; and nothing
    /// about the username is said until both are right.
    @Test func wrongTriesSayNothingOfWhichPartWasWrongAndFiveWrongBirthDatesVoidTheCode() async throws {
        try await withDemoAPI { demo in
            let patient = try await Self.newPatient(demo)
            let code = try #require(try await Self.issue(demo, for: patient).json["activationCode"] as? String)
            let wrongCode = try await Self.signUp(demo.browser.newWindow(), code: "ABCDE-FGHJK", username: "alex")
            let wrongBirth = try await Self.signUp(
                demo.browser.newWindow(), code: code, birthDate: "1990-04-13", username: "alex")
            #expect(wrongCode.status == .unprocessableEntity)
            #expect(wrongBirth.status == .unprocessableEntity)
            let strip = { (body: String) in
                body.replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression)
            }
            #expect(strip(wrongCode.body) == strip(wrongBirth.body))
            #expect(!wrongBirth.body.contains("taken"))

            for day in 14...17 {
                _ = try await Self.signUp(demo.browser.newWindow(), code: code, birthDate: "1990-04-\(day)")
            }
            let voided = try await Self.signUp(demo.browser.newWindow(), code: code)
            #expect(voided.status == .unprocessableEntity, "the fifth wrong date of birth voided the code")
            #expect(try await User.find(patient, on: demo.app.db)?.username == nil)
            let failures = try await AuditEvent.query(on: demo.app.db).filter(\.$action == "account.activate")
                .filter(\.$outcome == "failure").count()
            #expect(failures == 7)
        }
    }

    @Test func tooManyWrongTriesFromOneAddressMakeItWait() async throws {
        try await withDemoAPI { demo in
            for attempt in 0..<20 {
                _ = try await Self.signUp(demo.browser.newWindow(), code: "WRONG-\(attempt)AAAA".prefix(11).description)
            }
            let held = try await Self.signUp(demo.browser.newWindow(), code: "ABCDE-FGHJK")
            #expect(held.status == .tooManyRequests)
            #expect(held.headers.first(name: .retryAfter) != nil)
        }
    }

    @Test func aTakenUsernameOrAWeakPasswordIsRefusedAndTheCodeStillWorks() async throws {
        try await withDemoAPI { demo in
            let patient = try await Self.newPatient(demo)
            let code = try #require(try await Self.issue(demo, for: patient).json["activationCode"] as? String)
            let taken = try await Self.signUp(demo.browser.newWindow(), code: code, username: "alex")
            #expect(taken.status == .unprocessableEntity)
            #expect(taken.body.contains("That username is taken"))
            #expect(!taken.body.contains(Self.password))
            let weak = try await Self.signUp(demo.browser.newWindow(), code: code, password: "qwerty123456")
            #expect(weak.status == .unprocessableEntity)
            #expect(weak.body.contains("too easy to guess"))
            #expect(try await Self.signUp(demo.browser.newWindow(), code: code).status == .seeOther)
        }
    }

    /// Two sign-ups with one code at once (a double tap, or two people): one account, not two.
    @Test func twoSignUpsWithOneCodeAtOnceMakeOneAccount() async throws {
        try await withDemoAPI { demo in
            let patient = try await Self.newPatient(demo)
            let code = try #require(try await Self.issue(demo, for: patient).json["activationCode"] as? String)
            let browsers = [demo.browser.newWindow(), demo.browser.newWindow()]
            for browser in browsers { _ = try await browser.get("/sign-up") }
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for (index, browser) in browsers.enumerated() {
                    group.addTask {
                        try await browser.post(
                            "/sign-up",
                            [
                                "activation_code": code, "birth_date": Self.birthDate, "username": "casey\(index)",
                                "new_password": Self.password, "confirm_password": Self.password,
                            ]
                        ).status.code
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [303, 422])
            let username = try await User.find(patient, on: demo.app.db)?.username
            #expect(["casey0", "casey1"].contains(username ?? ""))
        }
    }

    @Test func aNewCodeVoidsTheOldOneAndACodeLastsThirtyDays() async throws {
        try await withDemoAPI { demo in
            let patient = try await Self.newPatient(demo)
            let first = try #require(try await Self.issue(demo, for: patient).json["activationCode"] as? String)
            let second = try #require(try await Self.issue(demo, for: patient).json["activationCode"] as? String)
            #expect(try await Self.signUp(demo.browser.newWindow(), code: first).status == .unprocessableEntity)
            let clock = demo.app.config.clock as! ManualClock
            clock.advance(by: 30 * 86_400 + 1)
            #expect(try await Self.signUp(demo.browser.newWindow(), code: second).status == .unprocessableEntity)
        }
    }

    /// Codes are for patients without an account: a patient who has one, someone who is not a patient, or a patient
    /// without a date of birth or (to email) an address is refused, and nothing is issued.
    @Test func aCodeIsRefusedForAnyoneWhoCannotSignUpWithIt() async throws {
        try await withDemoAPI { demo in
            let refusals: [(UUID, String, String)] = [
                (demo.user("alex"), "print", "has_account"),
                (demo.user("mchen"), "print", "not_a_patient"),
                (try await Self.newPatient(demo), "email", "no_email"),
            ]
            for (person, delivery, code) in refusals {
                let refused = try await Self.issue(demo, for: person, delivery: delivery)
                #expect(refused.status == .unprocessableEntity)
                #expect(refused.json["code"] as? String == code)
            }
            let stale = try await (try await demo.client("admin")).send(
                .POST, "/admin/people/\(try await Self.newPatient(demo))/activation-code", json: ["delivery": "print"],
                headers: ["If-Match": "\"41\""])
            #expect(stale.status == .conflict)
            #expect(try await demo.app.db.sql().raw("SELECT id FROM activation_codes").all().isEmpty)
            // Not an administrator: refused.
            let alex = try await demo.client("alex")
            let forbidden = try await alex.send(
                .POST, "/admin/people/\(demo.user("alex"))/activation-code", json: ["delivery": "print"],
                headers: ["If-Match": "\"1\""])
            #expect(forbidden.status == .forbidden)
        }
    }

    /// Emailed: the code reaches the patient's address at the real SMTP server and works; the administrator never sees
    /// it.
    @Test(.enabled(if: Mailbox.serverIsRunning, "needs CAREBOX_TEST_SMTP: eval \"$(scripts/smtp-server start)\""))
    func anEmailedCodeArrivesAndWorks() async throws {
        try await withDemoMail { demo, mail in
            let patient = try await Self.newPatient(demo, email: mail.address("casey"))
            let issued = try await Self.issue(demo, for: patient, delivery: "email")
            #expect(issued.status == .ok)
            #expect(issued.json["activationCode"] is NSNull)
            #expect(try await demo.deliver() == 1)
            let email = try #require(try mail.emails(to: "casey").first)
            #expect(email.subject == "Riverbend Health: your patient portal activation code")
            #expect(!email.wholeText.contains("Casey"))
            let code = try #require(email.body.firstMatch(of: /Activation code: ([A-Z2-9-]{11})/)?.1)
            #expect(email.body.contains("/sign-up"))
            #expect(try await Self.signUp(demo.browser.newWindow(), code: String(code)).status == .seeOther)
        }
    }
}
