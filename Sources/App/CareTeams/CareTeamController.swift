import Domain
import Fluent
import Vapor

/// The care team's pages: the In Basket (their home), writing to a patient, and working a conversation (claim,
/// assign, Done, reopen). The conversation itself is the shared conversation page.
struct CareTeamController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let careTeam = routes.grouped("care-team")
        careTeam.get(use: inBasket)
        careTeam.get("new", use: compose)
        careTeam.post("new", use: send)
        let conversation = careTeam.grouped("conversations", ":conversationID")
        conversation.post("claim", use: claim)
        conversation.post("assign", use: assign)
        conversation.post("done", use: done)
        conversation.post("reopen", use: reopen)
    }

    @Sendable func inBasket(request: Request) async throws -> View {
        let filterText = try? request.query.get(String.self, at: "filter")
        guard let filter = InBasketFilter(filterText) else { throw MessagingError.notFound }
        let cursor = (try? request.query.get(String.self, at: "cursor")).flatMap(PageCursor.init)
        let work = try await request.careTeamWork()
        let basket = try await work.inBasket(filter, cursor: cursor, limit: 50)
        let zone = work.context.calendar.timeZone
        let page = InBasketPage(
            layout: try await LayoutModel.make(request, title: "In Basket"), name: work.context.user.displayName,
            filters: basket.counts.map {
                InBasketPage.FilterLink(
                    href: "/care-team?filter=\($0.filter)", label: $0.label, count: $0.count,
                    current: $0.filter == basket.filter)
            },
            currentLabel: basket.counts.first { $0.filter == basket.filter }?.label ?? "Open",
            rows: basket.items.map { item in
                InBasketPage.Row(
                    href: "/messages/\(item.id.uuidString)", patient: item.patient.name,
                    birthDate: item.patientBirthDate ?? "", messageType: item.messageType, subject: item.subject ?? "",
                    received: PageFormat.dateTime(item.lastMessageAt, in: zone),
                    dueBy: ConversationPresenter.longDate(item.expectedReplyBy),
                    assignee: item.assignee?.name ?? "Unassigned",
                    status: item.status == "closed" ? "Done" : "Open", overdue: item.overdue, unread: item.unread)
            },
            nextPage: basket.nextCursor.map { "/care-team?filter=\(basket.filter)&cursor=\($0)" })
        return try await request.view.render("in-basket", page)
    }

    struct NewMessageForm: Content {
        var patient: String?
        var from: String?
        var messageType: String?
        var subject: String?
        var bodyText: String?
        var bodyJson: String?
        var sendKey: String?

        enum CodingKeys: String, CodingKey {
            case patient, from, subject
            case messageType = "message_type"
            case bodyText = "body_text"
            case bodyJson = "body_json"
            case sendKey = "send_key"
        }
    }

    @Sendable func compose(request: Request) async throws -> View {
        try await renderCompose(request, form: NewMessageForm(), errors: [:])
    }

    @Sendable func send(request: Request) async throws -> Response {
        let form = try request.content.decode(NewMessageForm.self)
        let body = MessagesController.MessageForm(bodyText: form.bodyText, bodyJson: form.bodyJson).body
        let input = SendMessage.StartInput(
            patientId: form.patient.flatMap(UUID.init(uuidString:)),
            messageTypeId: form.messageType.flatMap(UUID.init(uuidString:)),
            recipient: PageFormat.recipient(from: form.from), subject: form.subject, confidential: false, body: body)
        do {
            let sent = try await request.sendMessage().start(input, idempotencyKey: form.sendKey)
            return request.redirect(to: "/messages/\(sent.conversationID.uuidString)?sent=1", redirectType: .normal)
        } catch let error as MessagingError where error.field != nil || error == .notFound {
            let view = try await renderCompose(
                request, form: form, errors: [error.field.map(MessagesController.formField) ?? "patient": error.message]
            )
            return try await view.encodeResponse(
                status: error.status == .notFound ? .unprocessableEntity : error.status, for: request)
        }
    }

    /// The patients this care-team member may write to: a provider's patients, and for pool members every patient of
    /// the organisation. Names and dates of birth, so two people with one name can be told apart.
    private func renderCompose(_ request: Request, form: NewMessageForm, errors: [String: String]) async throws -> View
    {
        let reading = try await request.readConversation()
        let context = reading.context
        guard context.actor.roles.contains(where: \.isCareTeam) else { throw MessagingError.notFound }
        let patientQuery = User.query(on: request.db).filter(\.$organization.$id == context.organization.id)
            .join(UserRole.self, on: \User.$id == \UserRole.$user.$id).filter(UserRole.self, \.$role == .patient)
        if context.actor.pools.isEmpty {
            let mine = try await CareRelationship.query(on: request.db).filter(\.$provider.$id == context.userID)
                .all(\.$patient.$id)
            patientQuery.filter(\.$id ~~ mine)
        }
        let patients = try await patientQuery.sort(\.$name).all()
        var senders: [OptionModel] = []
        if context.actor.roles.contains(.provider) {
            senders.append(
                OptionModel(
                    value: "provider:\(context.userID.uuidString)", label: context.user.displayName, detail: nil,
                    selected: form.from == "provider:\(context.userID.uuidString)"))
        }
        for pool in try await reading.store.myPools() where pool.retiredAt == nil {
            let value = "pool:\(pool.id!.uuidString)"
            senders.append(OptionModel(value: value, label: pool.name, detail: nil, selected: form.from == value))
        }
        let page = CareTeamComposePage(
            layout: try await LayoutModel.make(request, title: "New Message"),
            patients: patients.map {
                OptionModel(
                    value: $0.id!.uuidString, label: "\($0.name) (born \($0.birthDate ?? "unknown"))", detail: nil,
                    selected: $0.id?.uuidString == form.patient)
            },
            senders: senders,
            types: reading.startableTypes(as: [.careTeam]).map {
                OptionModel(
                    value: $0.id.uuidString, label: $0.name, detail: nil, selected: $0.id.uuidString == form.messageType
                )
            },
            subject: form.subject ?? "", bodyText: form.bodyText ?? "", sendKey: form.sendKey ?? UUID().uuidString,
            errors: errors)
        return try await request.view.render("care-team-compose", page)
    }

    struct AssignForm: Content {
        var assignee: String?
        /// Who the page showed holding it: someone else taking it meanwhile makes this assignment a 409.
        var current: String?
    }

    /// What a care-team action did, carried to the conversation page (`?worked=`) to confirm it there.
    enum Worked: String {
        case claimed, assigned, done, reopened

        func confirmation(assignee: String?) -> String {
            switch self {
            case .claimed: "You claimed this conversation."
            case .assigned: "Assigned to \(assignee ?? "no one")."
            case .done: "Marked as Done."
            case .reopened: "Reopened."
            }
        }
    }

    @Sendable func claim(request: Request) async throws -> Response {
        try await work(request, .claimed) { try await $0.claim($1) }
    }

    @Sendable func assign(request: Request) async throws -> Response {
        let form = try request.content.decode(AssignForm.self)
        guard let assignee = form.assignee.flatMap(UUID.init(uuidString:)) else {
            return try await MessagesController().renderConversation(
                request, form: nil, errors: ["assignee": "Choose who to assign it to."], status: .unprocessableEntity)
        }
        return try await work(request, .assigned) {
            try await $0.assign($1, to: assignee, expected: form.current.flatMap(UUID.init(uuidString:)))
        }
    }

    @Sendable func done(request: Request) async throws -> Response {
        try await work(request, .done) { try await $0.markDone($1) }
    }

    @Sendable func reopen(request: Request) async throws -> Response {
        try await work(request, .reopened) { try await $0.reopen($1) }
    }

    private func work(
        _ request: Request, _ worked: Worked, _ action: (CareTeamWork, UUID) async throws -> ConversationResponse
    ) async throws -> Response {
        let id = try request.uuidParameter("conversationID")
        _ = try await action(try await request.careTeamWork(), id)
        return request.redirect(to: "/messages/\(id.uuidString)?worked=\(worked.rawValue)", redirectType: .normal)
    }
}

struct InBasketPage: Encodable {
    struct FilterLink: Encodable {
        let href: String
        let label: String
        let count: Int
        let current: Bool
    }

    struct Row: Encodable {
        let href: String
        let patient: String
        let birthDate: String
        let messageType: String
        let subject: String
        let received: String
        let dueBy: String
        let assignee: String
        let status: String
        let overdue: Bool
        let unread: Bool
    }

    let layout: LayoutModel
    let name: String
    let filters: [FilterLink]
    let currentLabel: String
    let rows: [Row]
    /// The next page of this filter, when there is one.
    let nextPage: String?
}

struct CareTeamComposePage: Encodable {
    let layout: LayoutModel
    let patients: [OptionModel]
    let senders: [OptionModel]
    let types: [OptionModel]
    let subject: String
    let bodyText: String
    let sendKey: String
    let errors: [String: String]
}
