import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// `/events` over real HTTP, on SQLite and PostgreSQL: who hears of what, and when a stream ends.
@Suite struct LiveUpdatesTests {
    /// Live updates with a heartbeat (and session check) every second instead of 25.
    static func quick(_ app: Application) throws {
        try app.useLiveUpdates(app.config, settings: .init(heartbeat: .seconds(1)))
    }

    /// A publish's work runs beside the request and may outlive the application: once its databases are shut down it
    /// finds none and stops (a suite run once crashed here, force-unwrapping the database after shutdown).
    @Test func workLeftAfterShutdownFindsNoDatabaseAndStops() async throws {
        var kept: LiveUpdates?
        try await withCarebox { app in kept = app.liveUpdates }
        let updates = try #require(kept)
        #expect(updates.db == nil)
        await updates.checkSessions(of: [])
        updates.publish(LiveEvent(kind: .message, organizationID: UUID(), conversationID: UUID(), userID: nil))
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func aReplyReachesTheBadgeAndTheOpenConversation(way: EventStreamReader.Way) async throws {
        try await withDemoAPI { demo in
            try Self.quick(demo.app)
            try await way.prepare(demo.app)
            let chen = try await demo.client("mchen")
            let alexAPI = try await demo.client("alex")
            let conversation = try await alexAPI.start(
                demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            try await demo.browser.signIn("alex")
            let stream = try await EventStreamReader.open(
                demo.app, demo.browser, "/events?conversation=\(conversation)&seq=1", through: way)
            #expect(stream.status == .ok)
            let before = try #require(try await stream.next("unread").unread)

            _ = try await chen.reply(conversation, "See you Tuesday")

            let message = try await stream.next("message")
            #expect(message.data == #"{"conversation":"\#(conversation.uuidString)","seq":2}"#)
            #expect(try await stream.next("unread", after: 1).unread == before + 1)
            #expect(!stream.text.contains("Tuesday"))
            await stream.close()
        }
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func aProxysStreamNeverMentionsAConfidentialConversation(way: EventStreamReader.Way) async throws {
        try await withDemoAPI { demo in
            try Self.quick(demo.app)
            try await way.prepare(demo.app)
            let chen = try await demo.client("mchen")
            let alexAPI = try await demo.client("alex")
            let secret = try await alexAPI.start(
                demo.ids.start("General Message", to: demo.ids.provider("mchen"), confidential: true))
            let open = try await alexAPI.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            try await demo.browser.signIn("jordan")
            demo.browser.setCookie(MessagesController.viewingCookie, demo.user("alex").uuidString)
            let badge = try await EventStreamReader.open(demo.app, demo.browser, through: way)
            // Even when asked for the confidential conversation by id, the stream says nothing of it.
            let viewing = try await EventStreamReader.open(
                demo.app, demo.browser, "/events?conversation=\(secret)&seq=0", through: way)
            let before = try #require(try await badge.next("unread").unread)
            _ = try await viewing.next("unread")

            _ = try await chen.reply(secret, "Confidential answer")
            _ = try await chen.reply(secret, "Another")
            // A reply Jordan may see follows, so the stream has certainly looked at the confidential ones first.
            _ = try await chen.reply(open, "Open answer")

            #expect(try await badge.next("unread", after: 1).unread == before + 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(badge.events.filter { $0.name == "unread" }.count == 2)
            for stream in [badge, viewing] {
                #expect(!stream.text.contains(secret.uuidString))
                #expect(!stream.events.contains { $0.name == "message" })
            }
            await badge.close()
            await viewing.close()
        }
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func aStreamEndsAtSignOut(way: EventStreamReader.Way) async throws {
        try await withDemoAPI { demo in
            try Self.quick(demo.app)
            try await way.prepare(demo.app)
            try await demo.browser.signIn("alex")
            let stream = try await EventStreamReader.open(demo.app, demo.browser, through: way)
            _ = try await stream.next("unread")

            _ = try await demo.browser.post("/sign-out", [:])

            #expect(try await stream.next("end").data == #"{"reason":"session-ended"}"#)
            try await stream.waitForEnd()
            #expect(demo.app.liveUpdates.openStreams == 0)
        }
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func aStreamEndsWhenTheSessionTimesOutAndDoesNotKeepItAlive(way: EventStreamReader.Way) async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!)
        try await withDemoAPI(clock: clock) { demo in
            try Self.quick(demo.app)
            try await way.prepare(demo.app)
            try await demo.browser.signIn("alex")
            let signedInAt = try #require(try await UserSession.query(on: demo.app.db).first()?.lastSeenAt)
            clock.advance(by: 5 * 60)
            let stream = try await EventStreamReader.open(demo.app, demo.browser, through: way)
            _ = try await stream.next("unread")
            // Opening the stream was not activity.
            #expect(try await UserSession.query(on: demo.app.db).first()?.lastSeenAt == signedInAt)

            clock.advance(by: demo.app.config.sessionPolicy.idleTimeout)

            #expect(try await stream.next("end").data == #"{"reason":"session-ended"}"#)
            try await stream.waitForEnd()
        }
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func aSixthStreamEndsTheUsersOldest(way: EventStreamReader.Way) async throws {
        try await withDemoAPI { demo in
            try Self.quick(demo.app)
            try await way.prepare(demo.app)
            try await demo.browser.signIn("alex")
            var streams: [EventStreamReader] = []
            for _ in 0..<5 {
                let stream = try await EventStreamReader.open(demo.app, demo.browser, through: way)
                _ = try await stream.next("unread")
                streams.append(stream)
            }
            let jordan = demo.browser.newWindow()
            try await jordan.signIn("jordan")
            let other = try await EventStreamReader.open(demo.app, jordan, through: way)
            _ = try await other.next("unread")

            let sixth = try await EventStreamReader.open(demo.app, demo.browser, through: way)
            _ = try await sixth.next("unread")

            #expect(try await streams[0].next("end").data == #"{"reason":"replaced"}"#)
            try await streams[0].waitForEnd()
            #expect(demo.app.liveUpdates.openStreams == 6)
            for stream in streams.dropFirst() + [sixth, other] { #expect(!stream.ended) }
            for stream in streams + [sixth, other] { await stream.close() }
        }
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func onlyACookieSessionOpensAStream(way: EventStreamReader.Way) async throws {
        try await withDemoAPI { demo in
            try await way.prepare(demo.app)
            let anonymous = try await EventStreamReader.open(demo.app, demo.browser, through: way)
            #expect(anonymous.status == .unauthorized)
            // An API token is not a page's session: API clients poll /api/v1/unread-counts.
            let chen = try await demo.client("mchen")
            let token = try await EventStreamReader.open(
                demo.app, demo.browser.newWindow(), through: way, headers: ["Authorization": "Bearer \(chen.token!)"])
            #expect(token.status == .unauthorized)
        }
    }

    @Test(arguments: EventStreamReader.Way.allCases)
    func heartbeatsKeepAnIdleStreamOpen(way: EventStreamReader.Way) async throws {
        try await withDemoAPI { demo in
            try Self.quick(demo.app)
            try await way.prepare(demo.app)
            try await demo.browser.signIn("alex")
            let stream = try await EventStreamReader.open(demo.app, demo.browser, through: way)
            _ = try await stream.next("unread")
            try await Task.sleep(for: .milliseconds(2500))
            #expect(stream.text.contains(": heartbeat\n\n"))
            #expect(!stream.ended)
            await stream.close()
        }
    }
}
