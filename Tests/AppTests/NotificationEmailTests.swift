import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Email notifications against the real SMTP server `scripts/test` starts (issue 14): who is told, that nothing of the
/// message is in the email, one email for a burst of replies, and nothing lost or doubled when the mail server or a
/// server fails. (`kill -9` between commit and delivery, and a mail server restart, are in `scripts/faults`.)
@Suite(.enabled(if: Mailbox.serverIsRunning, "needs CAREBOX_TEST_SMTP: eval \"$(scripts/smtp-server start)\""))
struct NotificationEmailTests {
    static let subject = "Rash on my left forearm"
    static let body = "It started after the new antibiotic, amoxicillin, and itches at night."
    static let answer = "Stop the amoxicillin and use hydrocortisone cream twice daily."

    /// Alex writes to Dr. Chen about something private; answers the conversation.
    static func alexWrites(_ demo: DemoAPI, confidential: Bool = false) async throws -> UUID {
        let alex = try await demo.client("alex")
        return try await alex.start(
            demo.ids.start(
                "Medical Question", to: demo.ids.provider("mchen"), subject: subject, confidential: confidential,
                body: body))
    }

    @Test func drChenRepliesAndAlexGetsOneEmailThatSaysNothingOfTheMessage() async throws {
        try await withDemoMail { demo, mail in
            let conversation = try await Self.alexWrites(demo)
            #expect(try await demo.deliver() == 0, "the patient side writing tells no one by email")

            let chen = try await demo.client("mchen")
            #expect(try await chen.reply(conversation, Self.answer).status == .created)
            try await demo.deliver()

            let emails = try mail.emails(to: "alex")
            try #require(emails.count == 1)
            let email = emails[0]
            #expect(email.subject == "Riverbend Health: you have a new message")
            #expect(email.headers["from"]?.contains("portal@riverbend.example") == true)
            #expect(email.body.contains("Riverbend Health"))
            #expect(
                email.body.contains(
                    "http://127.0.0.1/sign-in?next=/messages/\(conversation.uuidString.lowercased())"))
            let secrets = [
                Self.subject, "Rash", "forearm", "amoxicillin", "hydrocortisone", "itches", "Medical Question", "Chen",
                "Maya", "Alex", "Rivera", "Jordan", "Family Medicine",
            ]
            for secret in secrets {
                #expect(!email.wholeText.localizedCaseInsensitiveContains(secret), "\(secret)")
            }
            #expect(try mail.emails(to: "mchen").isEmpty, "never the writer")
        }
    }

    /// A security notice, whatever Alex chose for messages: someone who did not change the password learns at once.
    @Test func alexIsEmailedWhenHisPasswordChangesEvenWithMessageEmailsOff() async throws {
        try await withDemoMail { demo, mail in
            let alex = try #require(try await User.find(demo.user("alex"), on: demo.app.db))
            alex.messageNotices = .off
            try await alex.save(on: demo.app.db)
            let browser = demo.browser.newWindow()
            _ = try await browser.signIn("alex")
            let new = "purple kettle orbit"
            let changed = try await browser.post(
                "/account/password",
                ["current_password": DemoOrganization.password, "new_password": new, "confirm_password": new])
            #expect(changed.status == .seeOther)
            try await demo.deliver()

            let emails = try mail.emails(to: "alex")
            try #require(emails.count == 1)
            #expect(emails[0].subject == "Riverbend Health: your password was changed")
            #expect(emails[0].body.contains("http://127.0.0.1/sign-in?next=/account/password"))
            for secret in [new, DemoOrganization.password, "Alex", "Rivera"] {
                #expect(!emails[0].wholeText.contains(secret), "\(secret)")
            }
            #expect(try mail.emails(to: "jordan").isEmpty)
        }
    }

    @Test func jordanHearsOfANonConfidentialReplyAndNothingOfAConfidentialOne() async throws {
        try await withDemoMail { demo, mail in
            let chen = try await demo.client("mchen")
            let confidential = try await Self.alexWrites(demo, confidential: true)
            _ = try await chen.reply(confidential, Self.answer)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 1)
            #expect(try mail.emails(to: "jordan").isEmpty)

            let open = try await Self.alexWrites(demo)
            _ = try await chen.reply(open, Self.answer)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 2)
            let jordans = try mail.emails(to: "jordan")
            try #require(jordans.count == 1)
            // The proxy's email is the patient's, word for word: it names no one.
            #expect(jordans[0].body == (try mail.emails(to: "alex"))[1].body)
            #expect(!jordans[0].wholeText.contains("Alex"))
        }
    }

    /// Who may hear is decided as of the reply: the conversation made confidential after it was opened, or a proxy grant
    /// that has ended, leaves the proxy out.
    @Test func jordanHearsNothingOnceTheConversationIsConfidentialOrTheGrantHasEnded() async throws {
        try await withDemoMail { demo, mail in
            let chen = try await demo.client("mchen")
            let madeConfidential = try await Self.alexWrites(demo)
            let edit = try await demo.client("alex").send(
                .PATCH, "/conversations/\(madeConfidential)", json: ["confidential": true],
                headers: ["If-Match": "\"1\""])
            try #require(edit.status == .ok)
            _ = try await chen.reply(madeConfidential, Self.answer)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 1)
            #expect(try mail.emails(to: "jordan").isEmpty, "confidential since it was opened")

            try await demo.app.db.sql().raw(
                "UPDATE proxy_grants SET active_from = '2001-01-01', active_until = '2001-12-31'"
            ).run()
            let open = try await Self.alexWrites(demo)
            _ = try await chen.reply(open, Self.answer)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 2)
            #expect(try mail.emails(to: "jordan").isEmpty, "the grant has ended")
        }
    }

    @Test func threeQuickRepliesMakeOneEmailAndALaterOneAnother() async throws {
        try await withDemoMail { demo, mail in
            let conversation = try await Self.alexWrites(demo)
            let chen = try await demo.client("mchen")
            _ = try await chen.reply(conversation, "One")
            try await demo.deliver()
            demo.clock.advance(by: 60)
            _ = try await chen.reply(conversation, "Two")
            _ = try await chen.reply(conversation, "Three")
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 1)

            demo.clock.advance(by: 15 * 60)
            _ = try await chen.reply(conversation, "Four, a quarter of an hour later")
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 2)
        }
    }

    @Test func whileTheMailServerIsDownTheEmailWaitsAndGoesOnceItAnswers() async throws {
        try await withDemoMail { demo, mail in
            let working = demo.app.emailNotifications!
            demo.app.emailNotifications = EmailNotifications(
                client: SMTPClient(
                    configuration: SMTPConfiguration(host: "127.0.0.1", port: try Self.closedPort(), security: .plain)),
                from: working.from, publicURL: working.publicURL)
            let conversation = try await Self.alexWrites(demo)
            _ = try await (try await demo.client("mchen")).reply(conversation, Self.answer)
            #expect(try await demo.deliver() == 0)
            let waiting = try await demo.outbox().filter { $0.user == demo.user("alex") }
            #expect(waiting.map(\.status) == ["pending"])
            #expect(waiting.first?.failure?.contains("unreachable") == true)

            demo.app.emailNotifications = working
            #expect(try await demo.deliver() == 0, "not before its retry is due")
            demo.clock.advance(by: 5)
            #expect(try await demo.deliver() >= 1)
            #expect(try mail.emails(to: "alex").count == 1)
            demo.clock.advance(by: 3600)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 1, "sent once")
        }
    }

    /// A reply after the window has closed, while the first notice still waits for the mail server, adds none.
    @Test func aNoticeStillWaitingWhenItsWindowClosesIsNotDoubled() async throws {
        try await withDemoMail { demo, mail in
            let working = demo.app.emailNotifications!
            demo.app.emailNotifications = EmailNotifications(
                client: SMTPClient(
                    configuration: SMTPConfiguration(host: "127.0.0.1", port: try Self.closedPort(), security: .plain)),
                from: working.from, publicURL: working.publicURL)
            let conversation = try await Self.alexWrites(demo)
            let chen = try await demo.client("mchen")
            _ = try await chen.reply(conversation, Self.answer)
            #expect(try await demo.deliver() == 0)
            demo.clock.advance(by: 16 * 60)
            _ = try await chen.reply(conversation, "And a follow-up a quarter of an hour later")
            #expect(try await demo.outbox().filter { $0.user == demo.user("alex") }.count == 1)

            demo.app.emailNotifications = working
            demo.clock.advance(by: 3600)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").count == 1)
        }
    }

    @Test func aRefusedAddressIsRecordedAsFailedAndNotTriedAgain() async throws {
        try await withDemoMail { demo, mail in
            let alex = try await User.find(demo.user("alex"), on: demo.app.db)!
            alex.email = "alex-\(mail.tag)@rejected.invalid"
            try await alex.save(on: demo.app.db)
            let conversation = try await Self.alexWrites(demo)
            _ = try await (try await demo.client("mchen")).reply(conversation, Self.answer)
            try await demo.deliver()
            let row = try #require(try await demo.outbox().first { $0.user == demo.user("alex") })
            #expect(row.status == "failed")
            #expect(row.failure == "SMTP permanent failure at rcptTo: rejected 550")
            demo.clock.advance(by: 86_400)
            #expect(try await demo.deliver() == 0)
        }
    }

    @Test func noAddressAChoiceOfOffOrADeactivatedAccountMeansNoEmail() async throws {
        try await withDemoMail { demo, mail in
            let db = demo.app.db
            let alex = try await User.find(demo.user("alex"), on: db)!
            alex.messageNotices = .off
            try await alex.save(on: db)
            let jordan = try await User.find(demo.user("jordan"), on: db)!
            jordan.email = nil
            try await jordan.save(on: db)
            let conversation = try await Self.alexWrites(demo)
            _ = try await (try await demo.client("mchen")).reply(conversation, Self.answer)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").isEmpty)
            #expect(try await demo.outbox().isEmpty)

            // A choice taken back after the notice was written: it is skipped, not sent.
            alex.messageNotices = .immediately
            try await alex.save(on: db)
            demo.clock.advance(by: 16 * 60)
            _ = try await (try await demo.client("mchen")).reply(conversation, "Again")
            alex.deactivatedAt = demo.clock.now()
            try await alex.save(on: db)
            try await demo.deliver()
            #expect(try mail.emails(to: "alex").isEmpty)
            #expect(try await demo.outbox().map(\.status) == ["skipped"])
        }
    }

    @Test func withoutAMailServerNothingIsWritten() async throws {
        try await withDemoAPI { demo in
            #expect(demo.app.emailNotifications == nil)
            let conversation = try await Self.alexWrites(demo)
            _ = try await (try await demo.client("mchen")).reply(conversation, Self.answer)
            #expect(try await demo.outbox().isEmpty)
        }
    }

    /// Several servers on one PostgreSQL database, all delivering at once: each email goes once.
    @Test(.enabled(if: TestDatabase.serverURL != nil, "PostgreSQL only: SQLite has one writer"))
    func twoServersOnOneDatabaseSendEachNotificationOnce() async throws {
        try await withDemoMail { demo, mail in
            let chen = try await demo.client("mchen")
            for _ in 0..<12 {
                let conversation = try await Self.alexWrites(demo)
                _ = try await chen.reply(conversation, Self.answer)
            }
            let second = try await Application.make(.testing)
            var config = demo.app.config
            config.notificationInterval = nil
            try await configure(second, config)
            do {
                async let first = demo.deliver()
                async let other = NotificationDelivery(second, email: second.emailNotifications!).deliverDue()
                let (a, b) = try await (first, other)
                #expect(a + b == 24)
            } catch {
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
            #expect(try mail.emails(to: "alex").count == 12)
            #expect(try mail.emails(to: "jordan").count == 12)
        }
    }

    // MARK: Daily summaries

    @Test func dailySummariesGoAtSevenOnceADayToThoseWhoChoseThem() async throws {
        try await withDemoMail { demo, mail in
            let db = demo.app.db
            let jordan = try await User.find(demo.user("jordan"), on: db)!
            jordan.messageNotices = .dailySummary
            try await jordan.save(on: db)
            let conversation = try await Self.alexWrites(demo)
            _ = try await (try await demo.client("mchen")).reply(conversation, Self.answer)
            try await demo.deliver()
            #expect(try mail.emails(to: "jordan").isEmpty, "Jordan chose the summary")

            // Wednesday 9:00 in Chicago: today's summaries are due, and written once however often this runs.
            #expect(try await DailySummaries.writeDue(demo.app, at: demo.clock.now()) > 0)
            #expect(try await DailySummaries.writeDue(demo.app, at: demo.clock.now()) == 0)
            try await demo.deliver()
            let summaries = try mail.emails(to: "jordan")
            try #require(summaries.count == 1)
            #expect(summaries[0].subject == "Riverbend Health: you have unread messages")
            #expect(!summaries[0].wholeText.contains("Alex"))
            let chens = try mail.emails(to: "mchen")
            try #require(chens.count == 1)
            #expect(chens[0].body.contains("Your In Basket has "))
            #expect(!chens[0].wholeText.contains(Self.subject))
            #expect(try mail.emails(to: "alex").count == 1, "Alex chose each message, not the summary")
            // Each link leads, once signed in, to the page it names.
            for (username, email) in [("mchen", chens[0]), ("jordan", summaries[0])] {
                let next = try #require(Self.nextPath(in: email))
                let browser = demo.browser.newWindow()
                #expect(try await browser.signIn(username, next: next).location == next)
                #expect(try await browser.get(next).status == .ok, "\(username)'s link to \(next)")
            }

            // Thursday 6:59 in Chicago: not yet. 7:00: Jordan read nothing new since, so nothing for Jordan.
            demo.clock.advance(by: 22 * 3600 - 60)
            #expect(try await DailySummaries.writeDue(demo.app, at: demo.clock.now()) == 0)
            demo.clock.advance(by: 60)
            _ = try await DailySummaries.writeDue(demo.app, at: demo.clock.now())
            try await demo.deliver()
            #expect(try mail.emails(to: "jordan").count == 1)
            #expect(try mail.emails(to: "mchen").count == 2)
        }
    }

    /// Where an email's sign-in link goes once signed in.
    static func nextPath(in email: Mailbox.Email) -> String? {
        guard let start = email.body.range(of: "/sign-in?next=") else { return nil }
        let link = email.body[start.lowerBound...].prefix { !$0.isWhitespace }
        return URLComponents(string: String(link))?.queryItems?.first { $0.name == "next" }?.value
    }

    /// A port nothing listens on: a mail server that is down.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
