import Vapor

/// `/administration/message-types`: the list in order (move up and down), New message type, and one edit page per type
/// with Retire or Restore.
struct MessageTypesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let types = routes.grouped("administration", "message-types")
        types.get(use: index)
        types.get("new", use: new)
        types.post(use: create)
        types.get(":typeID", use: edit)
        types.post(":typeID", use: update)
        types.post(":typeID", "retire", use: retire)
        types.post(":typeID", "restore", use: restore)
        types.post(":typeID", "move", use: move)
    }

    struct IndexPage: Encodable {
        let layout: LayoutModel
        let types: [MessageTypeRow]
        let notice: String?
    }

    struct MessageTypeRow: Encodable {
        let type: AdminMessageTypeResponse
        let startedBy: String
        let recipients: String
        let first: Bool
        let last: Bool
    }

    static let notices = [
        "created": "Message type created.", "saved": "Message type saved.",
        "retired": "Message type retired: it is offered for no new message. Its conversations stay.",
        "restored": "Message type restored.",
    ]

    @Sendable func index(request: Request) async throws -> View {
        let types = try await MessageTypesEditor(context: try request.adminContext).list()
        let rows = types.enumerated().map { index, type in
            MessageTypeRow(
                type: type, startedBy: MessageTypeForm.startersText(type.startedBy),
                recipients: MessageTypeForm.recipientsText(type), first: index == 0, last: index == types.count - 1)
        }
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { Self.notices[$0] }
        return try await request.view.render(
            "admin-message-types",
            IndexPage(layout: try await LayoutModel.make(request, title: "Message types"), types: rows, notice: notice))
    }

    @Sendable func new(request: Request) async throws -> View {
        let editor = MessageTypesEditor(context: try request.adminContext)
        let page = MessageTypePage(
            layout: try await LayoutModel.make(request, title: "New message type"), type: nil,
            form: MessageTypeForm.blank, pools: try await editor.pools(), error: nil)
        return try await request.view.render("admin-message-type", page)
    }

    @Sendable func create(request: Request) async throws -> Response {
        let editor = MessageTypesEditor(context: try request.adminContext)
        let form = try MessageTypeForm.decode(request)
        do {
            _ = try await editor.create(form.input)
            return request.redirect(to: "/administration/message-types?done=created", redirectType: .normal)
        } catch let error as AdministrationError where error.status == .unprocessableEntity {
            let page = MessageTypePage(
                layout: try await LayoutModel.make(request, title: "New message type"), type: nil, form: form,
                pools: try await editor.pools(), error: error)
            return try await request.view.render("admin-message-type", page).encodeResponse(
                status: error.status, for: request)
        }
    }

    @Sendable func edit(request: Request) async throws -> View {
        let editor = MessageTypesEditor(context: try request.adminContext)
        let type = try await editor.get(try request.adminID("typeID"))
        let page = MessageTypePage(
            layout: try await LayoutModel.make(request, title: type.name), type: type,
            form: MessageTypeForm(type), pools: try await editor.pools(), error: nil)
        return try await request.view.render("admin-message-type", page)
    }

    @Sendable func update(request: Request) async throws -> Response {
        let editor = MessageTypesEditor(context: try request.adminContext)
        let id = try request.adminID("typeID")
        let form = try MessageTypeForm.decode(request)
        do {
            _ = try await editor.update(id, form.input, version: try FormVersion.parse(form.version))
            return request.redirect(to: "/administration/message-types?done=saved", redirectType: .normal)
        } catch let error as AdministrationError where error.status == .unprocessableEntity || error.status == .conflict
        {
            let type = try await editor.get(id)
            let page = MessageTypePage(
                layout: try await LayoutModel.make(request, title: type.name), type: type, form: form,
                pools: try await editor.pools(), error: error)
            return try await request.view.render("admin-message-type", page).encodeResponse(
                status: error.status, for: request)
        }
    }

    @Sendable func retire(request: Request) async throws -> Response {
        try await setRetired(request, true)
    }

    @Sendable func restore(request: Request) async throws -> Response {
        try await setRetired(request, false)
    }

    private func setRetired(_ request: Request, _ retired: Bool) async throws -> Response {
        let editor = MessageTypesEditor(context: try request.adminContext)
        let id = try request.adminID("typeID")
        let form = try request.content.decode(MessageTypeForm.self)
        do {
            _ = try await editor.setRetired(id, retired, version: try FormVersion.parse(form.version))
        } catch let error as AdministrationError where error.status == .unprocessableEntity || error.status == .conflict
        {
            let type = try await editor.get(id)
            let page = MessageTypePage(
                layout: try await LayoutModel.make(request, title: type.name), type: type, form: MessageTypeForm(type),
                pools: try await editor.pools(), error: error)
            return try await request.view.render("admin-message-type", page).encodeResponse(
                status: error.status, for: request)
        }
        return request.redirect(
            to: "/administration/message-types?done=\(retired ? "retired" : "restored")", redirectType: .normal)
    }

    struct MoveForm: Content {
        var direction: String?
    }

    @Sendable func move(request: Request) async throws -> Response {
        let editor = MessageTypesEditor(context: try request.adminContext)
        let form = try request.content.decode(MoveForm.self)
        _ = try await editor.move(try request.adminID("typeID"), by: form.direction == "up" ? -1 : 1)
        return request.redirect(to: "/administration/message-types", redirectType: .normal)
    }
}
