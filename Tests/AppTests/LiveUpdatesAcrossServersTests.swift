import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Two servers on one PostgreSQL database: an event published on one reaches a stream held by the other, through
/// LISTEN/NOTIFY. (On SQLite there is one server, and events stay in-process.)
@Suite struct LiveUpdatesAcrossServersTests {
    @Test(.enabled(if: TestDatabase.serverURL != nil))
    func aReplyOnOneServerReachesAStreamOnAnother() async throws {
        let database = try await withPostgresDetail { try await TestDatabase.create() }
        let config = AppConfig.testing(
            storage: database.storage, clock: ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!))
        let first = try await Application.make(.testing)
        let second = try await Application.make(.testing)
        do {
            try await configure(first, config)
            try await first.autoMigrate()
            try await DemoOrganization.loadIfMissing(on: first.db, passwordHasher: first.password.async)
            try await configure(second, config)
            let ids = try await DemoIDs.load(first.db)
            try await TestBrowser.open(first) { one in
                try await TestBrowser.open(second) { two in
                    let chen = try await APIClient.signedIn("mchen", app: first, browser: one)
                    let alexAPI = try await APIClient.signedIn("alex", app: first, browser: one)
                    let conversation = try await alexAPI.start(ids.start("General Message", to: ids.provider("mchen")))
                    try await two.signIn("alex")
                    let stream = try await EventStreamReader.open(
                        second, two, "/events?conversation=\(conversation)&seq=1")
                    let before = try #require(try await stream.next("unread").unread)
                    let relay = try #require(second.liveUpdates.relay)
                    let deadline = ContinuousClock.now + .seconds(60)
                    while !relay.isListening && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(relay.isListening)

                    _ = try await chen.reply(conversation, "From the other server")

                    let message = try await stream.next("message")
                    #expect(message.data == #"{"conversation":"\#(conversation.uuidString)","seq":2}"#)
                    #expect(try await stream.next("unread", after: 1).unread == before + 1)
                    #expect(second.liveUpdates.openStreams == 1)
                    #expect(first.liveUpdates.openStreams == 0)
                    await stream.close()
                }
            }
        } catch {
            try? await second.asyncShutdown()
            try? await first.asyncShutdown()
            try? await database.destroy()
            throw PostgresDetail.wrapping(error)
        }
        try await second.asyncShutdown()
        try await first.asyncShutdown()
        try await database.destroy()
    }
}
