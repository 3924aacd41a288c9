import Domain
import Fluent
import Vapor

/// The patient and proxy messaging pages: the inbox and its folders, New Message, conversations, replies, Edit.
/// Handlers parse the form, call a messaging use case and render; the rules are the use cases'..
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
        messages.post(":conversationID", "unread", use: markUnread)
        messages.post(":conversationID", "unarchive", use: unarchive)
        messages.post("drafts", ":draftID", "discard", use: discardDraft)
    }

    // MARK: Inbox

    /// The Inbox and the other folders, for patients and proxies. The care team's list is the In Basket.
    @Sendable func index(request: Request) async throws -> Response {
        if try request.signedInUser.landingPage == .careTeam {
            return request.redirect(to: LandingPage.careTeam.rawValue, redirectType: .normal)
        }
        let reading = try await request.readConversation()
        let folderName = (try? request.query.get(String.self, at: "folder")) ?? "inbox"
        let folder = Folder(rawValue: folderName) ?? .inbox
        let layout = try await LayoutModel.make(request, title: "Messages")
        let viewing = layout.viewing
        let patient = viewing.flatMap { UUID(uuidString: $0.current) }
        let zone = reading.context.calendar.timeZone
        let cursor = (try? request.query.get(String.self, at: "cursor")).flatMap(PageCursor.init)

        var rows: [InboxRowModel] = []
        var drafts: [DraftRowModel] = []
        var nextCursor: String?
        if folder == .drafts {
            let page = try await request.drafts().list(patient: patient, cursor: cursor, limit: 25)
            drafts = page.items.map { DraftRowModel($0, in: zone) }
            nextCursor = page.nextCursor
        } else {
            let page = try await reading.list(folder, patient: patient, cursor: cursor, limit: 25)
            let patients = reading.context.actor.patientsActedFor
            rows = page.items.map { InboxRowModel($0, actingFor: patients, viewing: viewing != nil, in: zone) }
            nextCursor = page.nextCursor
        }
        let page = MessagesPage(
            layout: layout, folder: folder.rawValue,
            folderTitle: folder.title,
            folders: Folder.allCases.map {
                OptionModel(value: $0.rawValue, label: $0.title, detail: nil, selected: $0 == folder)
            },
            rows: rows, drafts: drafts,
            nextPage: nextCursor.map { "/messages?folder=\(folder.rawValue)&cursor=\($0)" },
            notice: (try? request.query.get(String.self, at: "saved")) != nil ? "Your draft was saved." : nil)
        return try await request.view.render("messages", page).encodeResponse(for: request)
    }

    struct ViewingForm: Content {
        var patient: String?
        var back: String?
    }

    @Sendable func switchViewing(request: Request) async throws -> Response {
        let context = try await request.messagingContext()
        let form = try request.content.decode(ViewingForm.self)
        guard let id = form.patient.flatMap(UUID.init(uuidString:)),
            context.actor.patientsActedFor.contains(UserID(id))
        else { throw MessagingError.notFound }
        let response = request.redirect(to: ReturnPath(form.back)?.path ?? "/messages", redirectType: .normal)
        response.cookies[Self.viewingCookie] = HTTPCookies.Value(
            string: id.uuidString, path: "/", isSecure: request.config.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    static func viewingCookie(of request: Request) -> UUID? {
        request.cookies[viewingCookie].flatMap { UUID(uuidString: $0.string) }
    }

    /// Whose messages a person working for several patients is looking at, each with their own unread count; nil for
    /// someone with only their own.
    static func viewing(_ request: Request, _ reading: ReadConversation) async throws -> ViewingModel? {
        guard let current = try await reading.viewedPatient(chosen: viewingCookie(of: request)) else { return nil }
        var options: [OptionModel] = []
        var otherName: String?
        var currentUnread = 0
        for person in try await reading.actingFor() {
            let unread = try await reading.unreadInbox(patient: person.patient.id)
            if person.patient.id == current {
                currentUnread = unread
                if person.relationship != "self" { otherName = person.patient.name }
            }
            let name = person.patient.name + (person.relationship == "self" ? "" : " (\(person.relationship))")
            options.append(
                OptionModel(
                    value: person.patient.id.uuidString, label: name, detail: unread > 0 ? "\(unread) unread" : nil,
                    selected: person.patient.id == current))
        }
        // A page reached by a form goes back to the Inbox: the form's address may not answer a plain GET.
        let back = request.method == .GET ? request.url.string : "/messages"
        return ViewingModel(
            patients: options, current: current.uuidString, currentUnread: currentUnread, otherName: otherName,
            back: back)
    }

    @Sendable func archive(request: Request) async throws -> Response {
        try await request.filing().archive(try request.uuidParameter("conversationID"), true)
        return request.redirect(to: "/messages", redirectType: .normal)
    }

    @Sendable func markUnread(request: Request) async throws -> Response {
        try await request.readConversation().markUnread(try request.uuidParameter("conversationID"))
        return request.redirect(to: "/messages", redirectType: .normal)
    }

    @Sendable func unarchive(request: Request) async throws -> Response {
        try await request.filing().archive(try request.uuidParameter("conversationID"), false)
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
