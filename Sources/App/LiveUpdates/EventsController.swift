import Foundation
import Vapor

/// `GET /events`: the Server-Sent Events stream of a signed-in page. Cookie sessions only: an API client polls
/// `GET /api/v1/unread-counts` (see docs/live-updates.md). The page says what it shows:
/// `?conversation=ID&seq=N` (a conversation at its latest message N) or `?view=in-basket`.
///
/// Opening it does not count as activity (see `SessionAuthenticator`), so an open page does not keep an idle session
/// alive; the stream ends when the session does.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("events", use: events)
    }

    struct Query: Decodable {
        var conversation: String?
        var seq: Int?
        var view: String?
    }

    /// The stream a request opened, for `LiveStreamListener`, which writes it itself.
    struct OpenedStream: StorageKey {
        typealias Value = LiveStream
    }

    @Sendable func events(request: Request) async throws -> Response {
        guard let user = request.auth.get(SignedInUser.self), let sessionID = user.sessionID,
            let token = request.cookies[SessionStore.cookieName]?.string, user.onlyOpenPath == nil
        else { throw Abort(.unauthorized) }
        let updates = request.application.liveUpdates
        // Messaging off for this user: 404, as every messaging route answers; the page's script stops there.
        let context = try await request.messagingContext()
        let query = (try? request.query.decode(Query.self)) ?? Query()
        let stream = LiveStream(
            id: updates.nextStreamID(), user: user, sessionID: sessionID, tokenHash: SessionStore.hash(token),
            viewing: MessagesController.viewingCookie(of: request),
            conversationID: query.conversation.flatMap(UUID.init(uuidString:)), lastSeq: max(0, query.seq ?? 0),
            watchesInBasket: query.view == "in-basket", audience: LiveStream.Audience(context))

        request.storage[OpenedStream.self] = stream

        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "event-stream", parameters: ["charset": "utf-8"])
        headers.cacheControl = HTTPHeaders.CacheControl(noStore: true)
        // Reverse proxies (nginx) must pass events on as they come, not buffer them.
        headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        return Response(
            status: .ok, headers: headers,
            body: .init(stream: { writer in updates.attach(stream, writer: writer) }, count: -1))
    }
}
