import Domain
import Vapor

/// Search, on the Messages page (`/messages/search`: what a patient or proxy may see, for the person being viewed) and
/// on the In Basket (`/care-team/search`: what the care-team member works on, findable by patient name or date of
/// birth too). A GET form, so results can be bookmarked and the back button works; the terms stay out of the logs.
struct SearchController: RouteCollection {
    static let pageSize = 25
    static let title = "Search Messages"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("messages", "search", use: messages)
        routes.get("care-team", "search", use: inBasket)
    }

    @Sendable func messages(request: Request) async throws -> Response {
        let reading = try await request.readConversation()
        let layout = try await LayoutModel.make(request, title: Self.title)
        let patient = layout.viewing.flatMap { UUID(uuidString: $0.current) }
        let recipients = try await reading.store.recipients(ofConversationsOf: patient)
        return try await render(request, reading, layout, careTeam: false, recipients: recipients) { query in
            query.patient = patient
        }
    }

    @Sendable func inBasket(request: Request) async throws -> Response {
        let reading = try await request.readConversation()
        guard reading.context.actor.roles.contains(where: \.isCareTeam) else { throw MessagingError.notFound }
        var recipients = try await reading.store.myPools().map { (id: $0.id!, name: $0.name) }
        if reading.context.actor.roles.contains(.provider) {
            recipients.insert((reading.context.userID, reading.context.user.displayName), at: 0)
        }
        let layout = try await LayoutModel.make(request, title: Self.title)
        return try await render(request, reading, layout, careTeam: true, recipients: recipients) { query in
            query.careTeamOnly = true
        }
    }

    private func render(
        _ request: Request, _ reading: ReadConversation, _ layout: LayoutModel, careTeam: Bool,
        recipients: [(id: UUID, name: String)], adjust: (inout SearchQuery) -> Void
    ) async throws -> Response {
        let form = SearchParameters(request)
        let zone = reading.context.calendar.timeZone
        let cursor = (try? request.query.get(String.self, at: "cursor")).flatMap(PageCursor.init)
        var errors: [(field: String, message: String)] = []
        var results: ConversationPageResponse?
        if !form.isEmpty {
            do {
                var query = try form.query(in: zone)
                adjust(&query)
                results = try await reading.search(query, cursor: cursor, limit: Self.pageSize)
            } catch let refusal as SearchRefusal {
                errors = refusal.errors
            }
        }
        let action = careTeam ? "/care-team/search" : "/messages/search"
        let fields = Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
        let patients = reading.context.actor.patientsActedFor
        let page = SearchPage(
            layout: layout, action: action, careTeam: careTeam, form: form,
            folders: [OptionModel(value: "", label: "All folders", detail: nil, selected: form.folder.isEmpty)]
                + [Folder.inbox, .sent, .archived].map {
                    OptionModel(value: $0.rawValue, label: $0.title, detail: nil, selected: form.folder == $0.rawValue)
                },
            recipients: recipients.map {
                OptionModel(
                    value: $0.id.uuidString, label: $0.name, detail: nil, selected: form.recipient == $0.id.uuidString)
            },
            types: reading.messageTypes().map {
                OptionModel(
                    value: $0.id.uuidString, label: $0.name, detail: nil, selected: form.type == $0.id.uuidString)
            },
            errors: fields,
            filtersOpen: form.hasFilters || errors.contains { !["q", "patient_name", "born"].contains($0.field) },
            errorSummary: ErrorSummaryItem.list(fields, order: errors.map(\.field)),
            searched: results != nil,
            rows: (results?.items ?? []).map {
                InboxRowModel($0, actingFor: patients, viewing: layout.viewing != nil, in: zone)
            },
            nextPage: results?.nextCursor.map { "\(action)?\(form.queryString)&cursor=\($0)" })
        // A search that could not run is the form's error, answered as such (and titled "Error: ").
        return try await request.view.render("search", page).encodeResponse(
            status: errors.isEmpty ? .ok : .unprocessableEntity, for: request)
    }
}

struct SearchPage: Encodable {
    let layout: LayoutModel
    let action: String
    /// The In Basket's search: patient name and date of birth, no folders.
    let careTeam: Bool
    let form: SearchParameters
    let folders: [OptionModel]
    let recipients: [OptionModel]
    let types: [OptionModel]
    let errors: [String: String]
    /// The filters are shown open when one is set or wrong; otherwise folded away under "Narrow it down".
    let filtersOpen: Bool
    let errorSummary: [ErrorSummaryItem]
    /// A search was made (the page was not just opened).
    let searched: Bool
    let rows: [InboxRowModel]
    let nextPage: String?
}
