import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The benchmark dataset is real data the product must serve: its rows must be consistent with what the services
/// expect, on both databases.
@Suite struct BenchDatasetTests {
    @Test func aSmallDatasetLoadsWithTheRequestedSizeAndServesAPatientsInbox() async throws {
        try await withCarebox { app in
            var dataset = BenchDataset(
                size: .init(messages: 1_000, patients: 100, providers: 20), passwordHash: try app.password.hash("x"),
                now: Date())
            let summary = try await dataset.load(on: app.db)
            #expect(summary.messages == 1_000)
            #expect(try await Message.query(on: app.db).count() == 1_000)
            #expect(try await Conversation.query(on: app.db).count() == summary.conversations)
            #expect(try await User.query(on: app.db).count() == 100 + 20 + 2)
            #expect(summary.conversations > 100 && summary.conversations < 1_000)

            // The busiest patient's inbox, through the same service the API uses.
            let busiest = try await Conversation.query(on: app.db).all().reduce(into: [UUID: Int]()) {
                $0[$1.$patient.id, default: 0] += 1
            }.max { $0.value < $1.value }!
            try await TestBrowser.open(app) { browser in
                let patient = try await User.find(busiest.key, on: app.db)!
                let api = try await APIClient.signedIn(patient.username!, app: app, browser: browser)
                // Every bench conversation starts with the patient's question, so each is in their Sent folder.
                let inbox: ConversationPageResponse = try await api.get("/conversations?folder=sent&limit=100").decode()
                #expect(inbox.items.count == busiest.value)
                let opened = try await api.get("/conversations/\(inbox.items[0].id)")
                #expect(opened.status == .ok)
            }
        }
    }

    @Test func theSameSeedMakesTheSameShape() {
        var first = BenchDataset(size: .forMessages(100), passwordHash: "", now: Date(), seed: 7)
        var second = BenchDataset(size: .forMessages(100), passwordHash: "", now: Date(), seed: 7)
        let a = (0..<50).map { _ in first.longTailMessageCount() }
        let b = (0..<50).map { _ in second.longTailMessageCount() }
        #expect(a == b)
        #expect(a.allSatisfy { (1...200).contains($0) })
    }
}
