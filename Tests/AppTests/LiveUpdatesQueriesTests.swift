import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The raw SQL of live updates, on both databases; and the event payload, which must hold ids only.
@Suite struct LiveUpdatesQueriesTests {
    @Test func sessionsFindsOpenSessionsOfActiveUsersOnly() async throws {
        try await withDemoAPI { demo in
            try await demo.browser.signIn("alex")
            let jordan = demo.browser.newWindow()
            try await jordan.signIn("jordan")
            let sessions = try await UserSession.query(on: demo.app.db).all()
            #expect(sessions.count == 2)
            let found = try await LiveUpdatesQueries.sessions(sessions.map { $0.id! } + [UUID()], on: demo.app.db)
            #expect(Set(found.keys) == Set(sessions.map { $0.id! }))

            try await User.query(on: demo.app.db).filter(\.$id == demo.user("jordan"))
                .set(\.$deactivatedAt, to: Date()).update()
            let after = try await LiveUpdatesQueries.sessions(sessions.map { $0.id! }, on: demo.app.db)
            #expect(Set(after.keys) == Set(sessions.filter { $0.$user.id == demo.user("alex") }.map { $0.id! }))
        }
    }

    @Test func audienceNamesTheIdsThatDecideWhoSeesAConversation() async throws {
        try await withDemoAPI { demo in
            let alexAPI = try await demo.client("alex")
            let conversation = try await alexAPI.start(
                demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            let audience = try #require(try await LiveUpdatesQueries.audience(of: conversation, on: demo.app.db))
            #expect(audience.patientId == demo.user("alex"))
            #expect(audience.recipientProviderId == demo.user("mchen"))
            #expect(audience.recipientPoolId == nil)
            #expect(try await LiveUpdatesQueries.audience(of: UUID(), on: demo.app.db) == nil)
        }
    }

    @Test(arguments: LiveEvent.Kind.allCases)
    func aPayloadReadsBackAsTheSameEvent(kind: LiveEvent.Kind) {
        let event = LiveEvent(
            kind: kind, organizationID: UUID(), conversationID: kind == .session ? nil : UUID(),
            userID: kind == .message ? nil : UUID())
        #expect(LiveEvent(payload: Substring(event.payload)) == event)
        #expect(event.payload.count < 200)
    }

    @Test(arguments: ["", "message", "message x - -", "nope \(UUID()) - -", "message \(UUID()) - - extra"])
    func anythingElseIsNoEvent(payload: String) {
        #expect(LiveEvent(payload: Substring(payload)) == nil)
    }
}
