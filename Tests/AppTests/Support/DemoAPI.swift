import Fluent
import Foundation
import Vapor

@testable import App

/// The demo organisation served over real HTTP: its ids, a browser, and an API client for any username.
struct DemoAPI {
    let app: Application
    let ids: DemoIDs
    let browser: TestBrowser

    func client(_ username: String) async throws -> APIClient {
        try await APIClient.signedIn(username, app: app, browser: browser)
    }

    func user(_ username: String) -> UUID { ids.users[username]! }
}

/// Runs `body` against the demo on a clock that moves only when told (Wednesday 25 November 2026, 9 am in Chicago).
func withDemoAPI(
    clock: ManualClock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!),
    adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (DemoAPI) async throws -> Void
) async throws {
    try await withDemo(clock: clock, adjust: adjust) { app in
        let ids = try await DemoIDs.load(app.db)
        try await TestBrowser.open(app) { browser in
            try await body(DemoAPI(app: app, ids: ids, browser: browser))
        }
    }
}

extension APIClient {
    /// Starts a conversation and answers with its id.
    func start(_ json: [String: Any]) async throws -> UUID {
        try await send(.POST, "/conversations", json: json).decode(ConversationResponse.self).conversation.id
    }

    func reply(_ conversation: UUID, _ body: String = "Reply") async throws -> Reply {
        try await send(.POST, "/conversations/\(conversation)/messages", json: ["body": body])
    }

    func unreadInbox(patient: UUID? = nil) async throws -> Int {
        let query = patient.map { "?patient=\($0)" } ?? ""
        return try await get("/unread-counts\(query)").decode(UnreadCountsResponse.self).inbox
    }

    func folder(_ name: String, patient: UUID? = nil) async throws -> [ConversationSummaryResponse] {
        let query = patient.map { "&patient=\($0)" } ?? ""
        return try await get("/conversations?folder=\(name)&limit=100\(query)").decode(ConversationPageResponse.self)
            .items
    }
}
