import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The patient pages over real HTTP, for what the browser tests do not pin down: counts, refusals, switched-off
/// messaging and form errors.
@Suite struct MessagingPagesTests {
    @Test func theMessagesLinkCountsUnreadConversations() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let started: ConversationResponse = try await alex.send(
                    .POST, "/conversations", json: ids.start("General Message", to: ids.provider("mchen"))
                ).decode()
                clock.advance(by: 60)
                _ = try await chen.send(
                    .POST, "/conversations/\(started.conversation.id)/messages", json: ["body": "Hi"])

                try await browser.signIn("alex")
                let today = try await browser.get("/today")
                #expect(today.body.contains(#"aria-label="Messages, 1 unread""#))
                #expect(try await browser.get("/messages/\(started.conversation.id)").status == .ok)
                let after = try await browser.get("/today")
                #expect(after.body.contains(#"aria-label="Messages""#))
            }
        }
    }

    @Test func withMessagingOffThereIsNoMessagesLinkAndThePagesAreNotFound() async throws {
        try await withDemo { app in
            let organization = try await Organization.query(on: app.db).first()!
            organization.messagingEnabled = false
            try await organization.save(on: app.db)
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let today = try await browser.get("/today")
                #expect(today.status == .ok)
                #expect(!today.body.contains("Messages"))
                #expect(!today.body.contains("Start a New Message"))
                for path in ["/messages", "/messages/new", "/messages/\(UUID())"] {
                    let page = try await browser.get(path)
                    #expect(page.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test func sendingToSomeoneNotOfferedRedisplaysTheFormWithTheExplanation() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                _ = try await browser.get("/messages/new")
                let response = try await browser.post(
                    "/messages",
                    [
                        "action": "send", "message_type": ids.types["General Message"]!.uuidString,
                        "recipient": "provider:\(ids.users["lpark"]!.uuidString)", "subject": "Rash",
                        "body_text": "Can you look at this?", "patient": ids.users["alex"]!.uuidString,
                    ])
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.contains("call the provider&#39;s office."))
                #expect(response.body.contains(#"value="Rash""#))
                #expect(response.body.contains("Can you look at this?"))
                #expect(try await Conversation.query(on: app.db).count() == 0)
            }
        }
    }

    @Test func resubmittingTheSameNewMessageFormSendsOnce() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                _ = try await browser.get("/messages/new")
                let form = [
                    "action": "send", "message_type": ids.types["General Message"]!.uuidString,
                    "recipient": "provider:\(ids.users["mchen"]!.uuidString)", "body_text": "Hello",
                    "patient": ids.users["alex"]!.uuidString, "send_key": "form-render-1",
                ]
                let first = try await browser.post("/messages", form)
                let second = try await browser.post("/messages", form)
                #expect(first.status == .seeOther)
                #expect(first.location == second.location)
                #expect(try await Message.query(on: app.db).count() == 1)
            }
        }
    }

    @Test func aProxyIsNotShownAConfidentialConversationEvenByItsAddress() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let started: ConversationResponse = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start(
                        "General Message", to: ids.provider("mchen"), subject: "Private", confidential: true)
                ).decode()
                try await browser.signIn("jordan")
                let page = try await browser.get("/messages/\(started.conversation.id)")
                #expect(page.status == .notFound)
                #expect(!page.body.contains("Private"))
            }
        }
    }

    @Test func onceTheCareRelationshipEndsThePageExplainsInsteadOfOfferingAReply() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let started: ConversationResponse = try await alex.send(
                    .POST, "/conversations", json: ids.start("General Message", to: ids.provider("ohaddad"))
                ).decode()
                let relationship = try await CareRelationship.query(on: app.db)
                    .filter(\.$provider.$id == ids.users["ohaddad"]!).first()!
                relationship.activeUntil = "2020-06-30"
                try await relationship.save(on: app.db)

                try await browser.signIn("alex")
                let page = try await browser.get("/messages/\(started.conversation.id)")
                #expect(page.body.contains("your care relationship with this provider has ended"))
                #expect(page.body.contains("call the provider&#39;s office."))
                #expect(!page.body.contains(#"action="/messages/\#(started.conversation.id)/reply""#))
            }
        }
    }

    @Test func theAttachmentHintFollowsTheOrganisationsLimits() async throws {
        try await withDemo { app in
            let organization = try await Organization.query(on: app.db).first()!
            organization.attachmentMaxFiles = 2
            organization.attachmentMaxFileBytes = 4_000_000
            organization.attachmentContentTypes = "application/pdf,image/png"
            try await organization.save(on: app.db)
            try await TestBrowser.open(app) { browser in
                try await browser.signIn("alex")
                let page = try await browser.get("/messages/new")
                #expect(page.body.contains("PDF or PNG image files. Up to 2 files, 4 MB each."))
                #expect(!page.body.contains("10 MB"))
            }
        }
    }
}

/// A New Message form sent, then changed with the browser's Back button and sent again, is not lost and not stuck: the
/// page explains and offers a fresh send.
@Suite struct ResentFormTests {
    @Test func aChangedFormSentAgainIsExplainedAndCanBeSentAsANewMessage() async throws {
        try await withDemoAPI { demo in
            let browser = demo.browser
            try await browser.signIn("alex")
            _ = try await browser.get("/messages/new")
            var fields = [
                "message_type": demo.ids.types["General Message"]!.uuidString,
                "recipient": "provider:\(demo.user("mchen").uuidString)", "subject": "Knee", "body_text": "First",
                "send_key": "form-1", "action": "send",
            ]
            #expect(try await browser.post("/messages", fields).status == .seeOther)
            fields["body_text"] = "Second, changed"
            let again = try await browser.post("/messages", fields)
            #expect(again.status == .unprocessableEntity)
            #expect(again.body.contains("This form was already used to send a message."))
            #expect(again.body.contains("Second, changed"))
            #expect(!again.body.contains(#"value="form-1""#))
            let key = try #require(
                again.body.range(of: #"name="send_key" value="([^"]+)""#, options: .regularExpression).map {
                    String(again.body[$0].dropFirst(#"name="send_key" value=""#.count).dropLast())
                })
            fields["send_key"] = key
            #expect(try await browser.post("/messages", fields).status == .seeOther)
            #expect(try await Message.query(on: demo.app.db).count() == 2)
        }
    }
}
