import Vapor

/// `/api/v1/admin/message-types`: list in order, create, show, change (`PATCH` with `If-Match`), retire and restore
/// (`If-Match`), and move one to a place in the order (`POST /{id}/move`).
struct MessageTypesAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let types = routes.grouped("message-types")
        types.get(use: list)
        types.post(use: create)
        types.get(":typeID", use: show)
        types.patch(":typeID", use: update)
        types.post(":typeID", "retire", use: retire)
        types.post(":typeID", "restore", use: restore)
        types.post(":typeID", "move", use: move)
    }

    private func editor(_ request: Request) throws -> MessageTypesEditor {
        MessageTypesEditor(context: try request.adminContext)
    }

    @Sendable func list(request: Request) async throws -> [AdminMessageTypeResponse] {
        try await editor(request).list()
    }

    @Sendable func create(request: Request) async throws -> Response {
        let editor = try editor(request)
        let type = try await editor.create(try request.content.decode(AdminMessageTypeInput.self))
        return try await type.withETag(type.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let type = try await editor(request).get(try request.adminID("typeID"))
        return try await type.withETag(type.version).encodeResponse(for: request)
    }

    @Sendable func update(request: Request) async throws -> Response {
        let editor = try editor(request)
        let version = try request.requiredIfMatchVersion()
        let type = try await editor.update(
            try request.adminID("typeID"), try request.content.decode(AdminMessageTypeInput.self), version: version)
        return try await type.withETag(type.version).encodeResponse(for: request)
    }

    @Sendable func retire(request: Request) async throws -> Response {
        try await setRetired(request, true)
    }

    @Sendable func restore(request: Request) async throws -> Response {
        try await setRetired(request, false)
    }

    private func setRetired(_ request: Request, _ retired: Bool) async throws -> Response {
        let editor = try editor(request)
        let version = try request.requiredIfMatchVersion()
        let type = try await editor.setRetired(try request.adminID("typeID"), retired, version: version)
        return try await type.withETag(type.version).encodeResponse(for: request)
    }

    @Sendable func move(request: Request) async throws -> [AdminMessageTypeResponse] {
        let editor = try editor(request)
        return try await editor.move(
            try request.adminID("typeID"), to: try request.content.decode(AdminMessageTypeMoveInput.self))
    }
}
