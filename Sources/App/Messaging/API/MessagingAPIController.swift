import Domain
import Fluent
import Vapor

/// The messaging JSON API under `/api/v1`. Each handler parses, calls one service method and encodes; the rules live
/// in the services.
struct MessagingAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("message-types", use: messageTypes)
        routes.get("recipients", use: recipients)
        routes.get("acting-for", use: actingFor)
        routes.get("unread-counts", use: unreadCounts)

        let conversations = routes.grouped("conversations")
        conversations.get(use: list)
        conversations.post(use: start)
        conversations.get(":conversationID", use: show)
        conversations.patch(":conversationID", use: edit)
        conversations.post(":conversationID", "messages", use: reply)
        conversations.post(":conversationID", "read", use: markRead)
        conversations.put(":conversationID", "archive", use: archive)
        conversations.delete(":conversationID", "archive", use: unarchive)

        let drafts = routes.grouped("drafts")
        drafts.get(use: listDrafts)
        drafts.post(use: createDraft)
        drafts.get(":draftID", use: showDraft)
        drafts.put(":draftID", use: updateDraft)
        drafts.delete(":draftID", use: discardDraft)
        drafts.post(":draftID", "send", use: sendDraft)
    }

    // MARK: Directory

    @Sendable func messageTypes(request: Request) async throws -> [MessageTypeResponse] {
        try await request.messaging().messageTypes()
    }

    @Sendable func recipients(request: Request) async throws -> [RecipientResponse] {
        let type = try request.uuidQuery("type")
        return try await request.messaging().recipients(
            patient: try request.uuidQuery("patient"), type: type,
            matching: try? request.query.get(String.self, at: "q"))
    }

    @Sendable func actingFor(request: Request) async throws -> [ActingForResponse] {
        try await request.messaging().actingFor()
    }

    @Sendable func unreadCounts(request: Request) async throws -> UnreadCountsResponse {
        try await request.messaging().unreadCounts(patient: try request.uuidQuery("patient"))
    }

    // MARK: Conversations

    @Sendable func list(request: Request) async throws -> ConversationPageResponse {
        let folderName = (try? request.query.get(String.self, at: "folder")) ?? "inbox"
        guard let folder = MessagingQueries.Folder(rawValue: folderName), folder != .drafts else {
            throw MessagingError(
                .unprocessableEntity, "invalid_folder", "folder must be inbox, sent or archived (drafts: /drafts).",
                field: "folder")
        }
        var cursor: ConversationCursor?
        if let text = try? request.query.get(String.self, at: "cursor") {
            guard let parsed = ConversationCursor(text) else {
                throw MessagingError(
                    .unprocessableEntity, "invalid_cursor", "cursor is not one this API gave out.", field: "cursor")
            }
            cursor = parsed
        }
        let limit = (try? request.query.get(Int.self, at: "limit")) ?? 25
        guard (1...100).contains(limit) else {
            throw MessagingError(.unprocessableEntity, "invalid_limit", "limit must be from 1 to 100.", field: "limit")
        }
        return try await request.messaging().list(
            folder, patient: try request.uuidQuery("patient"), cursor: cursor, limit: limit)
    }

    @Sendable func start(request: Request) async throws -> Response {
        let input = try request.content.decode(MessagingService.StartInput.self)
        let started = try await request.messaging().start(input, idempotencyKey: request.idempotencyKey)
        return try await started.conversation.withETag(started.conversation.version)
            .encodeResponse(status: started.created ? .created : .ok, for: request)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let conversation = try await request.messaging().show(try request.uuidParameter("conversationID"))
        return try await conversation.withETag(conversation.version).encodeResponse(for: request)
    }

    @Sendable func edit(request: Request) async throws -> Response {
        let input = try request.content.decode(MessagingService.EditInput.self)
        let conversation = try await request.messaging().editDetails(
            try request.uuidParameter("conversationID"), version: request.ifMatchVersion, input)
        return try await conversation.withETag(conversation.version).encodeResponse(for: request)
    }

    struct ReplyRequest: Content {
        var body: MessageBodyInput?
    }

    @Sendable func reply(request: Request) async throws -> Response {
        let input = try request.content.decode(ReplyRequest.self)
        let (message, created) = try await request.messaging().reply(
            to: try request.uuidParameter("conversationID"), body: input.body, idempotencyKey: request.idempotencyKey)
        return try await message.encodeResponse(status: created ? .created : .ok, for: request)
    }

    @Sendable func markRead(request: Request) async throws -> HTTPStatus {
        try await request.messaging().markRead(try request.uuidParameter("conversationID"))
        return .noContent
    }

    @Sendable func archive(request: Request) async throws -> HTTPStatus {
        try await request.messaging().archive(try request.uuidParameter("conversationID"), true)
        return .noContent
    }

    @Sendable func unarchive(request: Request) async throws -> HTTPStatus {
        try await request.messaging().archive(try request.uuidParameter("conversationID"), false)
        return .noContent
    }

    // MARK: Drafts

    @Sendable func listDrafts(request: Request) async throws -> [DraftResponse] {
        try await request.drafts().list(patient: try request.uuidQuery("patient"))
    }

    @Sendable func createDraft(request: Request) async throws -> Response {
        let input = try request.content.decode(DraftService.DraftInput.self)
        guard let draft = try await request.drafts().create(input) else { return Response(status: .noContent) }
        return try await draft.withETag(draft.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func showDraft(request: Request) async throws -> Response {
        let draft = try await request.drafts().get(try request.uuidParameter("draftID"))
        return try await draft.withETag(draft.version).encodeResponse(for: request)
    }

    @Sendable func updateDraft(request: Request) async throws -> Response {
        let input = try request.content.decode(DraftService.DraftInput.self)
        guard
            let draft = try await request.drafts().update(
                try request.uuidParameter("draftID"), version: request.ifMatchVersion, input)
        else { return Response(status: .noContent) }
        return try await draft.withETag(draft.version).encodeResponse(for: request)
    }

    @Sendable func discardDraft(request: Request) async throws -> HTTPStatus {
        try await request.drafts().discard(try request.uuidParameter("draftID"), version: request.ifMatchVersion)
        return .noContent
    }

    @Sendable func sendDraft(request: Request) async throws -> Response {
        let messaging = try await request.messaging()
        let sent = try await request.drafts().send(
            try request.uuidParameter("draftID"), version: request.ifMatchVersion)
        let conversation = try await messaging.show(sent.conversationID, markRead: false)
        return try await conversation.withETag(conversation.version).encodeResponse(status: .created, for: request)
    }
}

/// A response with an `ETag` holding its version, for `If-Match` on the next change.
struct Versioned<Body: Content>: AsyncResponseEncodable {
    let body: Body
    let version: Int

    func encodeResponse(status: HTTPResponseStatus = .ok, for request: Request) async throws -> Response {
        let response = try await body.encodeResponse(status: status, for: request)
        response.headers.replaceOrAdd(name: .eTag, value: "\"\(version)\"")
        return response
    }

    func encodeResponse(for request: Request) async throws -> Response {
        try await encodeResponse(status: .ok, for: request)
    }
}

extension Content {
    func withETag(_ version: Int) -> Versioned<Self> { Versioned(body: self, version: version) }
}

extension Request {
    func messaging() async throws -> MessagingService {
        MessagingService(db: db, writes: application.writes, context: try await messagingContext())
    }

    func drafts() async throws -> DraftService {
        DraftService(db: db, writes: application.writes, context: try await messagingContext())
    }

    private struct MessagingContextKey: StorageKey {
        typealias Value = MessagingContext
    }

    /// Resolved once per request, then reused.
    func messagingContext() async throws -> MessagingContext {
        if let context = storage[MessagingContextKey.self] { return context }
        let context = try await MessagingContext.resolve(for: self)
        storage[MessagingContextKey.self] = context
        return context
    }

    var idempotencyKey: String? { headers.first(name: "Idempotency-Key") }

    /// The version in `If-Match: "3"` (weak or strong), or nil when absent or unreadable.
    var ifMatchVersion: Int? {
        guard var value = headers.first(name: .ifMatch)?.trimmingCharacters(in: .whitespaces) else { return nil }
        if value.hasPrefix("W/") { value.removeFirst(2) }
        return Int(value.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
    }

    func uuidParameter(_ name: String) throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw MessagingError.notFound }
        return id
    }

    func uuidQuery(_ name: String) throws -> UUID? {
        guard let text = try? query.get(String.self, at: name), !text.isEmpty else { return nil }
        guard let id = UUID(uuidString: text) else {
            throw MessagingError(.unprocessableEntity, "invalid_\(name)", "\(name) must be an id.", field: name)
        }
        return id
    }
}
