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
        routes.get("search", use: search)

        let conversations = routes.grouped("conversations")
        conversations.get(use: list)
        conversations.post(use: start)
        conversations.get(":conversationID", use: show)
        conversations.patch(":conversationID", use: edit)
        conversations.post(":conversationID", "messages", use: reply)
        conversations.post(":conversationID", "read", use: markRead)
        conversations.post(":conversationID", "unread", use: markUnread)
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
        let reading = try await request.readConversation()
        return reading.startableTypes(as: reading.startingSides)
    }

    /// `type` is required: eligibility depends on the type of message. A refusal names the query's `type`.
    @Sendable func recipients(request: Request) async throws -> [RecipientResponse] {
        let type = try request.uuidQuery("type")
        let patient = try request.uuidQuery("patient")
        do {
            return try await request.readConversation().recipients(
                patient: patient, type: type, matching: try? request.query.get(String.self, at: "q"))
        } catch let error as MessagingError where error == .unknownMessageType {
            throw error.naming("type")
        }
    }

    @Sendable func actingFor(request: Request) async throws -> [ActingForResponse] {
        try await request.readConversation().actingFor()
    }

    @Sendable func unreadCounts(request: Request) async throws -> UnreadCountsResponse {
        try await request.readConversation().unreadCounts(patient: try request.uuidQuery("patient"))
    }

    // MARK: Conversations

    @Sendable func list(request: Request) async throws -> ConversationPageResponse {
        let folderName = (try? request.query.get(String.self, at: "folder")) ?? "inbox"
        guard let folder = Folder(rawValue: folderName), folder != .drafts else {
            throw MessagingError(
                .unprocessableEntity, "invalid_folder", "folder must be inbox, sent or archived (drafts: /drafts).",
                field: "folder")
        }
        let page = try request.pageQuery()
        return try await request.readConversation().list(
            folder, patient: try request.uuidQuery("patient"), cursor: page.cursor, limit: page.limit)
    }

    /// The conversations that match, as the Messages page's search finds them (`SearchParameters`).
    @Sendable func search(request: Request) async throws -> ConversationPageResponse {
        let reading = try await request.readConversation()
        var query: SearchQuery
        do {
            query = try SearchParameters(request).query(in: reading.context.calendar.timeZone)
        } catch let refusal as SearchRefusal {
            throw refusal.problem
        }
        query.patient = try request.uuidQuery("patient")
        let page = try request.pageQuery()
        return try await reading.search(query, cursor: page.cursor, limit: page.limit)
    }

    @Sendable func start(request: Request) async throws -> Response {
        let input = try request.content.decode(SendMessage.StartInput.self)
        let send = try await request.sendMessage()
        let sent = try await namingJSONFields { try await send.start(input, idempotencyKey: request.idempotencyKey) }
        let conversation = try await send.conversation(sent)
        return try await conversation.withETag(conversation.version)
            .encodeResponse(status: sent.created ? .created : .ok, for: request)
    }

    /// The latest messages, or with `before` (a message's `seq`) the ones before it: `limit` is the page's size.
    @Sendable func show(request: Request) async throws -> Response {
        let before = try request.intQuery("before", in: 1...Int.max)
        let conversation = try await request.readConversation().open(
            try request.uuidParameter("conversationID"), before: before
        ).response
        return try await conversation.withETag(conversation.version).encodeResponse(for: request)
    }

    @Sendable func edit(request: Request) async throws -> Response {
        let version = try request.requiredIfMatchVersion()
        let input = try request.content.decode(EditDetails.EditInput.self)
        let conversation = try await request.editDetails().edit(
            try request.uuidParameter("conversationID"), version: version, input)
        return try await conversation.withETag(conversation.version).encodeResponse(for: request)
    }

    struct ReplyRequest: Content {
        var body: MessageBodyInput?
    }

    @Sendable func reply(request: Request) async throws -> Response {
        let input = try request.content.decode(ReplyRequest.self)
        let send = try await request.sendMessage()
        let sent = try await send.reply(
            to: try request.uuidParameter("conversationID"), body: input.body, idempotencyKey: request.idempotencyKey)
        return try await send.message(sent).encodeResponse(status: sent.created ? .created : .ok, for: request)
    }

    @Sendable func markRead(request: Request) async throws -> HTTPStatus {
        try await request.readConversation().markRead(try request.uuidParameter("conversationID"))
        return .noContent
    }

    @Sendable func markUnread(request: Request) async throws -> HTTPStatus {
        try await request.readConversation().markUnread(try request.uuidParameter("conversationID"))
        return .noContent
    }

    @Sendable func archive(request: Request) async throws -> HTTPStatus {
        try await request.filing().archive(try request.uuidParameter("conversationID"), true)
        return .noContent
    }

    @Sendable func unarchive(request: Request) async throws -> HTTPStatus {
        try await request.filing().archive(try request.uuidParameter("conversationID"), false)
        return .noContent
    }

    // MARK: Drafts

    @Sendable func listDrafts(request: Request) async throws -> DraftPageResponse {
        let page = try request.pageQuery()
        return try await request.drafts().list(
            patient: try request.uuidQuery("patient"), cursor: page.cursor, limit: page.limit)
    }

    @Sendable func createDraft(request: Request) async throws -> Response {
        let input = try request.content.decode(Drafts.DraftInput.self)
        let drafts = try await request.drafts()
        let created = try await namingJSONFields { try await drafts.create(input) }
        guard let draft = created else { return Response(status: .noContent) }
        return try await draft.withETag(draft.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func showDraft(request: Request) async throws -> Response {
        let draft = try await request.drafts().get(try request.uuidParameter("draftID"))
        return try await draft.withETag(draft.version).encodeResponse(for: request)
    }

    @Sendable func updateDraft(request: Request) async throws -> Response {
        let version = try request.requiredIfMatchVersion()
        let input = try request.content.decode(Drafts.DraftInput.self)
        let id = try request.uuidParameter("draftID")
        let drafts = try await request.drafts()
        guard let draft = try await namingJSONFields({ try await drafts.update(id, version: version, input) }) else {
            return Response(status: .noContent)
        }
        return try await draft.withETag(draft.version).encodeResponse(for: request)
    }

    @Sendable func discardDraft(request: Request) async throws -> HTTPStatus {
        try await request.drafts().discard(try request.uuidParameter("draftID"), version: try request.ifMatchVersion())
        return .noContent
    }

    /// 201 with the conversation the draft became; sending it again (or twice at once) answers 200 with the same.
    @Sendable func sendDraft(request: Request) async throws -> Response {
        let send = try await request.sendMessage()
        let sent = try await send.send(
            draft: try request.uuidParameter("draftID"), version: try request.ifMatchVersion())
        let conversation = try await send.conversation(sent)
        return try await conversation.withETag(conversation.version)
            .encodeResponse(status: sent.created ? .created : .ok, for: request)
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

/// Runs a use case for a JSON request, naming its fields as the JSON does: the web form's `message_type` is the API's
/// `messageTypeId`.
func namingJSONFields<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as MessagingError where error.field == "message_type" {
        throw error.naming("messageTypeId")
    }
}

extension MessagingError {
    /// The same refusal, naming `field` instead.
    func naming(_ field: String) -> MessagingError { MessagingError(status, code, message, field: field) }
}

extension Content {
    func withETag(_ version: Int) -> Versioned<Self> { Versioned(body: self, version: version) }
}

extension Request {
    /// The messaging store for the signed-in user, on the pool.
    func messagingStore() async throws -> MessagingStore {
        MessagingStore(db: db, writes: application.writes, context: try await messagingContext())
    }

    func sendMessage() async throws -> SendMessage { SendMessage(store: try await messagingStore()) }
    func readConversation() async throws -> ReadConversation { ReadConversation(store: try await messagingStore()) }
    func editDetails() async throws -> EditDetails { EditDetails(store: try await messagingStore()) }
    func drafts() async throws -> Drafts { Drafts(store: try await messagingStore()) }
    func filing() async throws -> Filing { Filing(store: try await messagingStore()) }
    func careTeamWork() async throws -> CareTeamWork { CareTeamWork(store: try await messagingStore()) }

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

    /// The version in `If-Match: "3"` (weak, `W/"3"`, or bare, `3`), nil when absent. Anything else is refused (422)
    /// rather than read as absent: a discard or send with an unreadable version must not go ahead unconditionally.
    func ifMatchVersion() throws -> Int? {
        guard var value = headers.first(name: .ifMatch)?.trimmingCharacters(in: .whitespaces) else { return nil }
        if value.hasPrefix("W/") { value.removeFirst(2) }
        let quoted = value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")
        let digits = quoted ? value.dropFirst().dropLast() : Substring(value)
        guard (1...18).contains(digits.count), digits.allSatisfy({ ("0"..."9").contains($0) }),
            let version = Int(digits)
        else {
            throw MessagingError(
                .unprocessableEntity, "invalid_if_match",
                "If-Match must be the ETag of the version you are changing, such as \"3\".", field: "If-Match")
        }
        return version
    }

    /// For a change that must say which version it changes: without `If-Match` it is refused (428) before anything
    /// else is looked at, whatever it names.
    func requiredIfMatchVersion() throws -> Int {
        guard let version = try ifMatchVersion() else { throw MessagingError.preconditionRequired }
        return version
    }

    func uuidParameter(_ name: String) throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw MessagingError.notFound }
        return id
    }

    /// `cursor` and `limit` (1–100, default 25) of a list.
    func pageQuery() throws -> (cursor: PageCursor?, limit: Int) {
        var cursor: PageCursor?
        if let text = try? query.get(String.self, at: "cursor") {
            guard let parsed = PageCursor(text) else {
                throw MessagingError(
                    .unprocessableEntity, "invalid_cursor", "cursor is not one this API gave out.", field: "cursor")
            }
            cursor = parsed
        }
        return (cursor, try intQuery("limit", in: 1...100) ?? 25)
    }

    /// A whole number in `range`, or nil when absent; anything else is 422 naming the parameter.
    func intQuery(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try? query.get(String.self, at: name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let bounds =
                range.upperBound == Int.max
                ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            throw MessagingError(
                .unprocessableEntity, "invalid_\(name)", "\(name) must be a whole number \(bounds).", field: name)
        }
        return value
    }

    /// An id, or nil when the parameter is absent. Present but empty (`patient=`) is refused like any other non-id:
    /// read as absent, it would quietly widen the answer to everyone the caller acts for.
    func uuidQuery(_ name: String) throws -> UUID? {
        guard let text = try? query.get(String.self, at: name) else { return nil }
        guard let id = UUID(uuidString: text) else {
            throw MessagingError(.unprocessableEntity, "invalid_\(name)", "\(name) must be an id.", field: name)
        }
        return id
    }
}
