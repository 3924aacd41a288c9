import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Long lists and long threads, a page at a time: the In Basket puts overdue work first across the whole queue, drafts
/// page like every list, and opening a conversation costs a page of messages, not the whole thread.
@Suite struct PagingTests {
    /// Monday 23 November 2026, 9 am in Chicago.
    static let monday = ISO8601DateFormatter().date(from: "2026-11-23T15:00:00Z")!

    @Test func theInBasketPutsOverdueFirstAcrossTheWholeQueueAndCountsEveryFilter() async throws {
        let clock = ManualClock(Self.monday)
        try await withDemoAPI(clock: clock) { demo in
            let alex = try await demo.client("alex")
            let torres = try await demo.client("ntorres")
            let triage = demo.ids.start("Medical Question", to: demo.ids.pool("Nurse Triage"))
            var old: [UUID] = []
            for _ in 0..<3 {
                old.append(try await alex.start(triage))
                clock.advance(by: 60)
            }
            // A week later: the three are overdue, and twelve newer ones are not.
            clock.advance(by: 7 * 86_400)
            var new: [UUID] = []
            for _ in 0..<12 {
                new.append(try await alex.start(triage))
                clock.advance(by: 60)
            }
            _ = try await torres.send(.POST, "/conversations/\(new[0])/claim")
            _ = try await torres.send(.POST, "/conversations/\(new[1])/done")

            var seen: [CareTeamWork.InBasketResponse] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
                let page: CareTeamWork.InBasketResponse = try await torres.get("/in-basket?limit=5\(query ?? "")")
                    .decode()
                seen.append(page)
                cursor = page.nextCursor
            } while cursor != nil && seen.count < 10
            let items = seen.flatMap(\.items)
            #expect(seen.count == 3)
            #expect(items.count == 14)
            #expect(Set(items.map(\.id)).count == 14)
            #expect(items.prefix(3).map(\.id) == old.reversed())
            #expect(items.prefix(3).allSatisfy { $0.overdue })
            let open = new.reversed().filter { $0 != new[1] }
            #expect(items.dropFirst(3).map(\.id) == open)

            let counts = Dictionary(uniqueKeysWithValues: seen[0].counts.map { ($0.label, $0.count) })
            #expect(counts["Open"] == 14)
            #expect(counts["Unread"] == 14)
            #expect(counts["Assigned to me"] == 1)
            #expect(counts["Nurse Triage"] == 14)
            #expect(counts["Overdue"] == 3)
            #expect(counts["Done"] == 1)
            let bad = try await torres.get("/in-basket?limit=0")
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.json["field"] as? String == "limit")
        }
    }

    @Test func draftsPageWithACursorMostRecentlySavedFirst() async throws {
        let clock = ManualClock(Self.monday)
        try await withDemoAPI(clock: clock) { demo in
            let alex = try await demo.client("alex")
            var saved: [UUID] = []
            for subject in ["One", "Two", "Three"] {
                clock.advance(by: 60)
                saved.append(
                    try await alex.send(.POST, "/drafts", json: ["subject": subject]).decode(DraftResponse.self).id)
            }
            let first: DraftPageResponse = try await alex.get("/drafts?limit=2").decode()
            #expect(first.items.map(\.id) == [saved[2], saved[1]])
            let cursor = try #require(first.nextCursor)
            let second: DraftPageResponse = try await alex.get(
                "/drafts?limit=2&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            ).decode()
            #expect(second.items.map(\.id) == [saved[0]])
            #expect(second.nextCursor == nil)
        }
    }

    @Test func openingALongConversationShowsTheLatestFiftyAndPagesBack() async throws {
        let clock = ManualClock(Self.monday)
        try await withDemoAPI(clock: clock) { demo in
            let alex = try await demo.client("alex")
            let chen = try await demo.client("mchen")
            let id = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen"), body: "1"))
            for n in 2...60 {
                clock.advance(by: 1)
                _ = try await (n % 2 == 0 ? chen : alex).reply(id, "\(n)")
                if n == 10 {
                    // A change of details between messages 10 and 11 is shown once, on the earlier page.
                    clock.advance(by: 1)
                    let edit = try await alex.send(
                        .PATCH, "/conversations/\(id)", json: ["subject": "Knee"], headers: ["If-Match": "\"1\""])
                    #expect(edit.status == .ok)
                }
            }

            let latest: ConversationResponse = try await alex.get("/conversations/\(id)").decode()
            #expect(latest.messages.map(\.seq) == Array(11...60))
            #expect(latest.messages.map(\.bodyText) == (11...60).map(String.init))
            #expect(latest.earlierBefore == 11)
            let earlier: ConversationResponse = try await alex.get("/conversations/\(id)?before=11").decode()
            #expect(earlier.messages.map(\.seq) == Array(1...10))
            #expect(earlier.earlierBefore == nil)
            #expect(earlier.events.map(\.field) == ["subject"])
            #expect(latest.events.isEmpty)
            #expect(try await alex.get("/conversations/\(id)?before=abc").status == .unprocessableEntity)

            try await demo.browser.signIn("alex")
            let page = try await demo.browser.get("/messages/\(id)")
            #expect(page.body.contains(#"<a href="/messages/\#(id.uuidString)?before=11">Show earlier messages</a>"#))
            #expect(!page.body.contains(">10</p>"))
            let back = try await demo.browser.get("/messages/\(id)?before=11")
            #expect(back.body.contains(">10</p>"))
            #expect(!back.body.contains("Show earlier messages"))
            #expect(back.body.contains(#"<a href="/messages/\#(id.uuidString)">Show the latest messages</a>"#))
            #expect(!page.body.contains("Show the latest messages"))
        }
    }
}
