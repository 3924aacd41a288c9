import Vapor

/// `/administration/pools`: the list with a New pool form, and one page per pool (rename, retire or restore, members).
struct PoolsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let pools = routes.grouped("administration", "pools")
        pools.get(use: index)
        pools.post(use: create)
        pools.get(":poolID", use: show)
        pools.post(":poolID", "rename", use: rename)
        pools.post(":poolID", "retire", use: retire)
        pools.post(":poolID", "restore", use: restore)
        pools.post(":poolID", "members", use: addMember)
        pools.post(":poolID", "members", ":userID", "remove", use: removeMember)
    }

    struct PoolForm: Content {
        var name: String?
        var version: String?
        var user: String?
    }

    struct IndexPage: Encodable {
        let layout: LayoutModel
        let pools: [AdminPoolResponse]
        let name: String
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
    }

    struct PoolPage: Encodable {
        let layout: LayoutModel
        let pool: AdminPoolResponse
        let name: String
        let candidates: [AdminPoolMemberResponse]
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
        let notice: String?
    }

    /// The refusal by the form's field: the API's `userId` is the page's `user`.
    private static func fields(_ error: AdministrationError?) -> [String: String] {
        guard let error else { return [:] }
        return [error.field == "userId" ? "user" : error.field ?? "form": error.message]
    }

    @Sendable func index(request: Request) async throws -> View {
        try await renderIndex(request, name: "", error: nil)
    }

    private func renderIndex(_ request: Request, name: String, error: AdministrationError?) async throws -> View {
        let editor = PoolsEditor(context: try request.adminContext)
        let page = IndexPage(
            layout: try await LayoutModel.make(request, title: "Pools"), pools: try await editor.list(), name: name,
            errors: Self.fields(error), errorSummary: ErrorSummaryItem.list(Self.fields(error), order: []))
        return try await request.view.render("admin-pools", page)
    }

    @Sendable func create(request: Request) async throws -> Response {
        let editor = PoolsEditor(context: try request.adminContext)
        let form = try request.content.decode(PoolForm.self)
        do {
            let pool = try await editor.create(AdminPoolInput(name: form.name))
            return request.redirect(to: "/administration/pools/\(pool.id)", redirectType: .normal)
        } catch let error as AdministrationError where error.status == .unprocessableEntity {
            return try await renderIndex(request, name: form.name ?? "", error: error)
                .encodeResponse(status: error.status, for: request)
        }
    }

    @Sendable func show(request: Request) async throws -> View {
        try await renderPool(request, try request.adminID("poolID"), name: nil, error: nil)
    }

    private func renderPool(_ request: Request, _ id: UUID, name: String?, error: AdministrationError?) async throws
        -> View
    {
        let editor = PoolsEditor(context: try request.adminContext)
        let pool = try await editor.get(id)
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { Self.notices[$0] }
        let page = PoolPage(
            layout: try await LayoutModel.make(request, title: pool.name), pool: pool, name: name ?? pool.name,
            candidates: try await editor.candidates(for: id),
            errors: Self.fields(error), errorSummary: ErrorSummaryItem.list(Self.fields(error), order: []),
            notice: notice)
        return try await request.view.render("admin-pool", page)
    }

    static let notices = [
        "renamed": "Pool renamed.", "retired": "Pool retired: it is offered to no one now.",
        "restored": "Pool restored.", "added": "Member added.", "removed": "Member removed.",
    ]

    /// Runs one change of a pool's page, then shows the page again: with a notice, or with the refusal.
    private func change(
        _ request: Request, done: String, _ body: @escaping (PoolsEditor, UUID, PoolForm) async throws -> Void
    ) async throws -> Response {
        let editor = PoolsEditor(context: try request.adminContext)
        let id = try request.adminID("poolID")
        let form = try request.content.decode(PoolForm.self)
        do {
            try await body(editor, id, form)
            return request.redirect(to: "/administration/pools/\(id)?done=\(done)", redirectType: .normal)
        } catch let error as AdministrationError where error.status == .unprocessableEntity || error.status == .conflict
        {
            return try await renderPool(request, id, name: form.name, error: error)
                .encodeResponse(status: error.status, for: request)
        }
    }

    @Sendable func rename(request: Request) async throws -> Response {
        try await change(request, done: "renamed") { editor, id, form in
            _ = try await editor.rename(
                id, AdminPoolInput(name: form.name), version: try FormVersion.parse(form.version))
        }
    }

    @Sendable func retire(request: Request) async throws -> Response {
        try await change(request, done: "retired") { editor, id, form in
            _ = try await editor.setRetired(id, true, version: try FormVersion.parse(form.version))
        }
    }

    @Sendable func restore(request: Request) async throws -> Response {
        try await change(request, done: "restored") { editor, id, form in
            _ = try await editor.setRetired(id, false, version: try FormVersion.parse(form.version))
        }
    }

    @Sendable func addMember(request: Request) async throws -> Response {
        try await change(request, done: "added") { editor, id, form in
            do {
                _ = try await editor.addMember(
                    id, AdminPoolMemberInput(userId: form.user.flatMap(UUID.init(uuidString:))))
            } catch let error as AdministrationError where error.field == "userId" {
                throw AdministrationError(error.status, error.code, error.message, field: "user")
            }
        }
    }

    @Sendable func removeMember(request: Request) async throws -> Response {
        let user = try request.adminID("userID")
        return try await change(request, done: "removed") { editor, id, _ in
            _ = try await editor.removeMember(id, user: user)
        }
    }
}
