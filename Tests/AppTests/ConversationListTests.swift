import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// A list row tells the story: a one-line preview of the latest message, who wrote it, a paperclip, and where the
/// conversation stands; and a read conversation can be marked unread again.
@Suite struct ConversationListTests {
    static func inbox(_ client: APIClient, _ query: String = "") async throws -> [ConversationSummaryResponse] {
        let page: ConversationPageResponse = try await client.send(.GET, "/conversations?\(query)").decode()
        return page.items
    }

    @Test func eachRowShowsThePreviewWhoWroteLastThePaperclipAndTheStatus() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let jordan = try await APIClient.signedIn("jordan", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                let long = String(repeating: "word ", count: 40) + "end"
                let started: ConversationResponse = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "Long", body: long)
                ).decode()
                let id = started.conversation.id

                var row = try #require(try await Self.inbox(alex, "folder=sent").first { $0.id == id })
                #expect(row.lastMessage?.writer == "You")
                let preview = try #require(row.lastMessage?.preview)
                #expect(preview.hasSuffix("word…") && preview.count <= 101, "cut at a word: \(preview)")
                #expect(!row.hasAttachments)
                let chensRow = try #require(try await Self.inbox(chen).first { $0.id == id })
                #expect(chensRow.lastMessage?.writer == "Alex Rivera")

                _ = try await jordan.send(
                    .POST, "/conversations/\(id)/messages", json: ["body": "Adding a note\nfor Alex."])
                row = try #require(try await Self.inbox(alex, "folder=sent").first { $0.id == id })
                #expect(row.lastMessage?.writer == "Jordan Rivera for Alex")
                #expect(row.lastMessage?.preview == "Adding a note for Alex.", "one line")

                _ = try await chen.send(.POST, "/conversations/\(id)/messages", json: ["body": "Thanks, noted."])
                row = try #require(try await Self.inbox(alex).first { $0.id == id })
                #expect(row.lastMessage?.writer == "Dr. Maya Chen")

                // The page says the same, with the status.
                try await browser.signIn("alex")
                var page = try await browser.get("/messages")
                #expect(page.body.contains("Dr. Maya Chen:</span> Thanks, noted."))
                #expect(page.body.contains(#"<span class="row-status">Replied</span>"#))
                page = try await browser.get("/messages?folder=sent")
                _ = try await chen.send(.POST, "/conversations/\(id)/done")
                page = try await browser.get("/messages")
                #expect(page.body.contains(#"<span class="row-status">Closed</span>"#))

                let other: ConversationResponse = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "Waiting", body: "Hi")
                ).decode()
                page = try await browser.get("/messages?folder=sent")
                let due = ConversationPresenter.longDate(other.conversation.expectedReplyBy)
                #expect(page.body.contains("Waiting for a reply, expected by \(due)"))
            }
        }
    }

    @Test func aReadConversationIsMarkedUnreadUntilOpenedAgainOnThePageAndThroughTheAPI() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                let jordan = try await APIClient.signedIn("jordan", app: app, browser: browser)
                let started: ConversationResponse = try await alex.send(
                    .POST, "/conversations", json: ids.start("Medical Question", to: ids.provider("mchen"))
                ).decode()
                let id = started.conversation.id
                _ = try await chen.send(.POST, "/conversations/\(id)/messages", json: ["body": "Reply"])
                func unread() async throws -> Int {
                    let counts: UnreadCountsResponse = try await alex.send(.GET, "/unread-counts").decode()
                    return counts.inbox
                }
                #expect(try await unread() == 1)
                _ = try await alex.send(.GET, "/conversations/\(id)")
                #expect(try await unread() == 0)

                let chenBefore = try await Self.inbox(chen).first { $0.id == id }?.unread
                #expect(try await alex.send(.POST, "/conversations/\(id)/unread").status == .noContent)
                #expect(try await unread() == 1)
                #expect(try await Self.inbox(alex).first { $0.id == id }?.unread == true)
                // Only for Alex: Dr. Chen's own state is his.
                #expect(try await Self.inbox(chen).first { $0.id == id }?.unread == chenBefore)
                // Someone who may not see it gets 404, and nothing changes.
                let confidential: ConversationResponse = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.provider("mchen"), confidential: true)
                ).decode()
                #expect(
                    try await jordan.send(.POST, "/conversations/\(confidential.conversation.id)/unread").status
                        == .notFound)
                #expect(try await jordan.send(.POST, "/conversations/\(UUID())/unread").status == .notFound)

                // On the page, without script: opened, then marked unread with the row's button.
                try await browser.signIn("alex")
                _ = try await browser.get("/messages/\(id)")
                var page = try await browser.get("/messages")
                #expect(page.body.contains(#"action="/messages/\#(id.uuidString)/unread""#))
                let marked = try await browser.post("/messages/\(id.uuidString)/unread", [:])
                #expect(marked.status == .seeOther || marked.status == .ok)
                #expect(try await unread() == 1)
                page = try await browser.get("/messages")
                #expect(!page.body.contains(#"action="/messages/\#(id.uuidString)/unread""#), "unread already")
            }
        }
    }

    @Test func todayShowsTheUnreadCountAndTheLatestThreeConversations() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                try await browser.signIn("alex")
                #expect(try await browser.get("/today").body.contains("No unread messages."))
                for n in 1...4 {
                    clock.advance(by: 60)
                    let started: ConversationResponse = try await alex.send(
                        .POST, "/conversations",
                        json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "Topic \(n)")
                    ).decode()
                    _ = try await chen.send(
                        .POST, "/conversations/\(started.conversation.id)/messages", json: ["body": "Answer \(n)"])
                }
                let today = try await browser.get("/today").body
                #expect(today.contains("You have <strong>4</strong> unread conversations."))
                #expect(today.contains("Topic 4") && today.contains("Topic 3") && today.contains("Topic 2"))
                #expect(!today.contains("Topic 1"), "the latest three only")
                #expect(today.contains("Dr. Maya Chen:</span> Answer 4"))
            }
        }
    }

    @Test func draftsAreNamedByTheirSubjectOrFirstWordsAndRepliesByTheirConversation() async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids
            let alex = try await demo.client("alex")
            let general = ids.types["General Message"]!.uuidString
            for draft: [String: Any] in [
                ["messageTypeId": general, "subject": "Knee"],
                ["messageTypeId": general, "body": "I have had a rash on my arm since last Tuesday, and it itches."],
            ] {
                #expect(try await alex.send(.POST, "/drafts", json: draft).status == .created)
            }
            let knee = try await alex.start(
                ids.start("General Message", to: ids.provider("mchen"), subject: "Left knee"))
            let reply = try await alex.send(
                .POST, "/drafts", json: ["conversationId": knee.uuidString, "body": "One more thing"])
            #expect(reply.status == .created)

            try await demo.browser.signIn("alex")
            let drafts = try await demo.browser.get("/messages?folder=drafts").body
            #expect(drafts.contains(">Knee<"))
            #expect(drafts.contains(">I have had a rash on my arm since last…<"))
            #expect(drafts.contains(">Reply: Left knee<"))
        }
    }
}
