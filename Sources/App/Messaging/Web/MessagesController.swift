import Domain
import Fluent
import Vapor

/// The patient and proxy messaging pages: the inbox and its folders, New Message, conversations, replies, Edit.
/// Handlers parse the form, call the messaging services and render; the rules are the services'.
struct MessagesController: RouteCollection {
    static let viewingCookie = "carebox_viewing"

    func boot(routes: any RoutesBuilder) throws {
        let messages = routes.grouped("messages")
        messages.get(use: index)
        messages.post("viewing", use: switchViewing)
        messages.get("new", use: compose)
        messages.on(
            .POST, body: .collect(maxSize: ByteCount(value: CSRFMiddleware.maxMultipartBytes)), use: submitCompose)
        messages.get(":conversationID", use: show)
        messages.on(
            .POST, ":conversationID", "reply",
            body: .collect(maxSize: ByteCount(value: CSRFMiddleware.maxMultipartBytes)),
            use: reply)
        messages.get(":conversationID", "edit", use: edit)
        messages.post(":conversationID", "edit", use: submitEdit)
        messages.post(":conversationID", "archive", use: archive)
        messages.post(":conversationID", "unarchive", use: unarchive)
        messages.post("drafts", ":draftID", "discard", use: discardDraft)
    }

    // MARK: Inbox

    @Sendable func index(request: Request) async throws -> View {
        let messaging = try await request.messaging()
        let folderName = (try? request.query.get(String.self, at: "folder")) ?? "inbox"
        let folder = MessagingQueries.Folder(rawValue: folderName) ?? .inbox
        let viewing = try await Self.viewing(request, messaging)
        let patient = viewing.flatMap { UUID(uuidString: $0.current) }
        let zone = messaging.context.calendar.timeZone

        var rows: [InboxRowModel] = []
        var drafts: [DraftRowModel] = []
        var nextPage: String?
        if folder == .drafts {
            drafts = try await request.drafts().list(patient: patient).map { draft in
                DraftRowModel(
                    href: draft.conversationId.map { "/messages/\($0.uuidString)" }
                        ?? "/messages/new?draft=\(draft.id.uuidString)",
                    id: draft.id.uuidString, version: draft.version,
                    title: draft.subject ?? (draft.conversationId == nil ? "New message" : "Reply"),
                    to: draft.recipient?.name ?? "", date: PageFormat.dateTime(draft.updatedAt, in: zone))
            }
        } else {
            let cursor = (try? request.query.get(String.self, at: "cursor")).flatMap(ConversationCursor.init)
            let page = try await messaging.list(folder, patient: patient, cursor: cursor, limit: 25)
            let myID = messaging.context.userID
            rows = page.items.map { item in
                InboxRowModel(
                    href: "/messages/\(item.id.uuidString)", id: item.id.uuidString,
                    otherSide: item.patient.id == myID || viewing != nil ? item.recipient.name : item.patient.name,
                    title: item.title, patientName: viewing == nil && item.patient.id != myID ? item.patient.name : nil,
                    date: PageFormat.dateTime(item.lastMessageAt, in: zone), unread: item.unread,
                    confidential: item.confidential, archived: item.archived)
            }
            nextPage = page.nextCursor.map { "/messages?folder=\(folder.rawValue)&cursor=\($0)" }
        }
        let titles: [MessagingQueries.Folder: String] = [
            .inbox: "Inbox", .sent: "Sent", .drafts: "Drafts", .archived: "Archived",
        ]
        let page = MessagesPage(
            layout: try await LayoutModel.make(request, title: "Messages"), folder: folder.rawValue,
            folderTitle: titles[folder]!,
            folders: MessagingQueries.Folder.allCases.map {
                OptionModel(value: $0.rawValue, label: titles[$0]!, detail: nil, selected: $0 == folder)
            },
            viewing: viewing, rows: rows, drafts: drafts, nextPage: nextPage,
            notice: (try? request.query.get(String.self, at: "saved")) != nil ? "Your draft was saved." : nil)
        return try await request.view.render("messages", page)
    }

    struct ViewingForm: Content {
        var patient: String?
        var back: String?
    }

    @Sendable func switchViewing(request: Request) async throws -> Response {
        let messaging = try await request.messaging()
        let form = try request.content.decode(ViewingForm.self)
        guard let id = form.patient.flatMap(UUID.init(uuidString:)),
            messaging.context.actor.patientsActedFor.contains(UserID(id))
        else { throw MessagingError.notFound }
        let response = request.redirect(to: ReturnPath(form.back)?.path ?? "/messages", redirectType: .normal)
        response.cookies[Self.viewingCookie] = HTTPCookies.Value(
            string: id.uuidString, path: "/", isSecure: request.config.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    /// Whose messages a person working for several patients is looking at, or nil for someone with only their own.
    static func viewing(_ request: Request, _ messaging: MessagingService) async throws -> ViewingModel? {
        let patients = try await messaging.actingFor()
        guard patients.count > 1 else { return nil }
        let chosen = request.cookies[viewingCookie].flatMap { UUID(uuidString: $0.string) }
        let current = patients.first { $0.patient.id == chosen } ?? patients[0]
        return ViewingModel(
            patients: patients.map {
                OptionModel(
                    value: $0.patient.id.uuidString, label: $0.patient.name,
                    detail: $0.relationship == "self" ? nil : $0.relationship,
                    selected: $0.patient.id == current.patient.id)
            }, current: current.patient.id.uuidString)
    }

    @Sendable func archive(request: Request) async throws -> Response {
        try await request.messaging().archive(try request.uuidParameter("conversationID"), true)
        return request.redirect(to: "/messages", redirectType: .normal)
    }

    @Sendable func unarchive(request: Request) async throws -> Response {
        try await request.messaging().archive(try request.uuidParameter("conversationID"), false)
        return request.redirect(to: "/messages?folder=archived", redirectType: .normal)
    }

    struct DiscardForm: Content {
        var version: Int?
    }

    @Sendable func discardDraft(request: Request) async throws -> Response {
        let form = try request.content.decode(DiscardForm.self)
        try await request.drafts().discard(try request.uuidParameter("draftID"), version: form.version)
        return request.redirect(to: "/messages?folder=drafts", redirectType: .normal)
    }
}
