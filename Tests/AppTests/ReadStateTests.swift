import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Unread counts and folders that tell the truth: a reply never disappears into Archived, a proxy's badge counts the
/// person being viewed, and what one's own side wrote is never news (docs/messaging.md, "Read state").
@Suite struct ReadStateTests {
    @Test func aReplyBringsAnArchivedConversationBackToTheInboxUnread() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!)
        try await withDemoAPI(clock: clock) { demo in
            let ids = demo.ids, client = demo.client
            let alex = try await client("alex")
            let chen = try await client("mchen")
            let jordan = try await client("jordan")
            let id = try await alex.start(ids.start("General Message", to: ids.provider("mchen")))
            clock.advance(by: 60)
            _ = try await chen.reply(id)
            _ = try await alex.get("/conversations/\(id)")
            #expect(try await alex.send(.PUT, "/conversations/\(id)/archive").status == .noContent)
            #expect(try await alex.folder("inbox").isEmpty)
            #expect(try await alex.folder("archived").map(\.id) == [id])

            // Jordan, on Alex's side, writing does not bring it back for Alex: it is not news to him.
            clock.advance(by: 60)
            #expect(try await jordan.reply(id, "For Alex").status == .created)
            #expect(try await alex.folder("inbox").isEmpty)
            #expect(try await alex.unreadInbox() == 0)

            // Dr. Chen answering does, unread, and the badge counts it.
            clock.advance(by: 60)
            _ = try await chen.reply(id, "Come in on Monday")
            let inbox = try await alex.folder("inbox")
            #expect(inbox.map(\.id) == [id])
            #expect(inbox.first?.unread == true)
            #expect(inbox.first?.archived == false)
            #expect(try await alex.folder("archived").isEmpty)
            #expect(try await alex.unreadInbox() == 1)
        }
    }

    @Test func aProxysBadgeCountsThePersonBeingViewedAndEachPersonShowsTheirOwn() async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids, client = demo.client
            let alex = try await client("alex")
            let chen = try await client("mchen")
            let jordan = try await client("jordan")
            let answered = try await alex.start(ids.start("General Message", to: ids.provider("mchen")))
            _ = try await chen.reply(answered)
            // Alex's own question, unanswered: never unread to Jordan, who is on Alex's side.
            let asked = try await alex.start(ids.start("General Message", to: ids.provider("ohaddad")))

            #expect(try await jordan.unreadInbox() == 1)
            #expect(try await jordan.unreadInbox(patient: ids.users["jordan"]!) == 0)
            #expect(try await jordan.unreadInbox(patient: ids.users["alex"]!) == 1)
            let sent = try await jordan.folder("sent", patient: ids.users["alex"]!)
            #expect(sent.first { $0.id == asked }?.unread == false)

            // The page: viewing himself, Jordan's badge is 0 and the switcher shows Alex's 1.
            do {
                let browser = demo.browser
                try await browser.signIn("jordan")
                let own = try await browser.get("/messages")
                #expect(own.body.contains(#"aria-label="Messages""#))
                #expect(own.body.contains("Alex Rivera (spouse) – 1 unread"))
                _ = try await browser.post(
                    "/messages/viewing", ["patient": ids.users["alex"]!.uuidString, "back": "/messages"])
                let viewingAlex = try await browser.get("/messages")
                #expect(viewingAlex.body.contains(#"aria-label="Messages, 1 unread""#))
            }
            // Read state is each person's own: Alex reading it does not read it for Jordan.
            _ = try await alex.get("/conversations/\(answered)")
            #expect(try await alex.unreadInbox() == 0)
            #expect(try await jordan.unreadInbox(patient: ids.users["alex"]!) == 1)
        }
    }

    /// Replies from both sides at once, with people opening the conversation in between, on the real clock: every
    /// message is numbered once and in order, and every user's unread count is exactly the conversations with a message
    /// from the other side after the last one they had in front of them.
    @Test func concurrentRepliesNeverHideAMessageFromTheUnreadCount() async throws {
        try await withDemoAPI(adjust: { $0.clock = SystemClock() }) { demo in
            let ids = demo.ids, app = demo.app, client = demo.client
            let people = ["alex", "jordan", "mchen", "ohaddad"]
            var clients: [String: APIClient] = [:]
            for name in people { clients[name] = try await client(name) }
            let alex = clients["alex"]!
            let conversations = [
                try await alex.start(ids.start("General Message", to: ids.provider("mchen"))),
                try await alex.start(ids.start("General Message", to: ids.provider("ohaddad"))),
            ]
            for _ in 0..<10 {
                try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                    for conversation in conversations {
                        for name in people {
                            let client = clients[name]!
                            group.addTask {
                                let reply = try await client.reply(conversation)
                                if reply.status == .notFound { return .created }  // not this provider's conversation
                                return reply.status
                            }
                            group.addTask { try await client.get("/conversations/\(conversation)").status }
                        }
                    }
                    for try await status in group { #expect([.ok, .created, .notFound].contains(status)) }
                }
            }

            for conversation in conversations {
                let seqs = try await Message.query(on: app.db).filter(\.$conversation.$id == conversation).all(\.$seq)
                #expect(seqs.sorted() == Array(1...seqs.count))
                let row = try await Conversation.find(conversation, on: app.db)!
                #expect(row.lastMessageSeq == seqs.count)
            }
            let messages = try await Message.query(on: app.db).all()
            let all = try await Conversation.query(on: app.db).all()
            for name in people {
                let user = ids.users[name]!
                let reads = try await ConversationState.query(on: app.db).filter(\.$user.$id == user).all()
                let lastRead = Dictionary(uniqueKeysWithValues: reads.map { ($0.$conversation.id, $0.lastReadSeq) })
                let patientSide = name == "alex" || name == "jordan"
                let mine = all.filter { patientSide || $0.$recipientProvider.id == user }.map { $0.id! }
                let expected = Set(
                    messages.filter { message in
                        mine.contains(message.$conversation.id) && (message.side == .careTeam) == patientSide
                            && message.seq > lastRead[message.$conversation.id, default: 0]
                    }.map(\.$conversation.id)
                ).count
                let unread = try await clients[name]!.get("/unread-counts").decode(UnreadCountsResponse.self)
                #expect(unread.inbox + unread.archived == expected, "\(name)")
            }
        }
    }
}
