import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// The administrator's side of email notifications (issue 14), against the real SMTP server `scripts/test` starts:
/// undelivered emails are shown with the mail server's reason and can be sent again once the address is right, and the
/// organisation's own From address and wording reach the emails.
@Suite(.enabled(if: Mailbox.serverIsRunning, "needs CAREBOX_TEST_SMTP: eval \"$(scripts/smtp-server start)\""))
struct AdminNotificationsTests {
    typealias Email = NotificationEmailTests

    /// Alex's address is one the mail server refuses; Dr. Chen answers him, and the email fails for good.
    static func aRefusedEmailToAlex(_ demo: DemoAPI, _ mail: Mailbox) async throws {
        let alex = try await User.find(demo.user("alex"), on: demo.app.db)!
        alex.email = "alex-\(mail.tag)@rejected.invalid"
        try await alex.save(on: demo.app.db)
        let conversation = try await Email.alexWrites(demo)
        _ = try await (try await demo.client("mchen")).reply(conversation, Email.answer)
        try await demo.deliver()
    }

    @Test func anUndeliveredEmailIsShownWithItsReasonAndSentAgainOnceTheAddressIsRight() async throws {
        try await withDemoMail { demo, mail in
            try await Self.aRefusedEmailToAlex(demo, mail)
            let admin = try await demo.client("admin")

            let reply = try await admin.get("/admin/notifications")
            #expect(reply.status == .ok)
            let overview: AdminNotificationsResponse = try reply.decode()
            #expect(overview.emailEnabled && overview.waiting == 0 && overview.nextPage == nil)
            let failed = try #require(overview.undelivered.only)
            #expect(failed.person.id == demo.user("alex") && failed.person.username == "alex")
            #expect(failed.address == "alex-\(mail.tag)@rejected.invalid")
            #expect(failed.kind == "new_message" && failed.status == "failed" && failed.attempts == 1)
            #expect(failed.failure == "SMTP permanent failure at rcptTo: rejected 550")

            try await demo.browser.signIn("admin")
            let page = try await demo.browser.get("/administration/notifications")
            #expect(page.status == .ok)
            #expect(page.body.contains("Alex Rivera") && page.body.contains("rejected 550"))
            #expect(page.body.contains("Send again"))
            for text in [Email.subject, Email.body, Email.answer, "Medical Question", "Maya Chen"] {
                #expect(!reply.body.contains(text) && !page.body.contains(text), "the administrator saw \(text)")
            }

            // Alex puts his address right; the administrator sends the email again, by a plain form post.
            let alex = try await User.find(demo.user("alex"), on: demo.app.db)!
            alex.email = mail.address("alex")
            try await alex.save(on: demo.app.db)
            let sent = try await demo.browser.post(
                "/administration/notifications/\(failed.id.uuidString)/send-again", ["page": "1"])
            #expect(sent.status == .seeOther)
            let after = try await demo.browser.get("/administration/notifications?done=sent-again")
            #expect(after.body.contains("The email will be sent again in a moment."))
            #expect(after.body.contains("1 waiting") && !after.body.contains("rejected 550"))

            #expect(try await demo.deliver() == 1)
            #expect(try mail.emails(to: "alex").count == 1)
            #expect(
                try await admin.send(.POST, "/admin/notifications/\(failed.id.uuidString)/send-again").status
                    == .conflict, "a sent email is not sent again")
            let events = try await AuditEvent.query(on: demo.app.db)
                .filter(\.$action == "admin.notification.send_again").all()
            #expect(events.count == 1 && events.first?.recordID == failed.id)
        }
    }

    @Test func twoAdministratorsSendingTheSameEmailAgainMakeOnePendingEmail() async throws {
        try await withDemoMail { demo, mail in
            try await Self.aRefusedEmailToAlex(demo, mail)
            let admin = try await demo.client("admin")
            let overview: AdminNotificationsResponse = try await admin.get("/admin/notifications").decode()
            let id = try #require(overview.undelivered.only).id
            let path = "/admin/notifications/\(id.uuidString)/send-again"
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<4 { group.addTask { try await admin.send(.POST, path).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .conflict }.count == 3, "\(statuses)")
            #expect(try await demo.outbox().filter { $0.status == "pending" }.count == 1)
        }
    }

    @Test func theOrganizationsFromAddressAndWordingReachTheEmail() async throws {
        try await withDemoMail { demo, mail in
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            #expect(settings.notificationFrom == "" && settings.notificationText == "")

            for (field, value) in [
                ("notificationFrom", "not an address"), ("notificationFrom", "a@b@c"),
                ("notificationText", "Two\nparagraphs"), ("notificationText", String(repeating: "x", count: 301)),
            ] {
                let refused = try await admin.send(
                    .PUT, "/admin/settings",
                    json: AdminConfigSettingsTests.settingsBody(settings) { $0[field] = value },
                    headers: ["If-Match": "\"\(settings.version)\""])
                #expect(refused.status == .unprocessableEntity, "\(field): \(value)")
                #expect(refused.body.contains("\"field\":\"\(field)\""), "\(refused.body)")
            }
            let missing = try await admin.send(
                .PUT, "/admin/settings",
                json: AdminConfigSettingsTests.settingsBody(settings) { $0["notificationText"] = nil },
                headers: ["If-Match": "\"\(settings.version)\""])
            #expect(missing.status == .unprocessableEntity && missing.body.contains("notificationText"))

            let saved = try await admin.send(
                .PUT, "/admin/settings",
                json: AdminConfigSettingsTests.settingsBody(settings) {
                    $0["notificationFrom"] = "care@riverbend.example"
                    $0["notificationText"] = "Your Riverbend care team has written to you."
                }, headers: ["If-Match": "\"\(settings.version)\""])
            #expect(saved.status == .ok)
            let conversation = try await Email.alexWrites(demo)
            _ = try await (try await demo.client("mchen")).reply(conversation, Email.answer)
            try await demo.deliver()
            let email = try #require(try mail.emails(to: "alex").only)
            #expect(email.headers["from"]?.contains("<care@riverbend.example>") == true, "\(email.headers)")
            #expect(email.body.contains("Your Riverbend care team has written to you."))
            #expect(!email.body.contains("You have a new message"))

            let events = try await AuditEvent.query(on: demo.app.db).filter(\.$action == "admin.settings.update").all()
            #expect(events.count == 1)
        }
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
