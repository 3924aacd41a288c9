import Vapor

/// `/api/v1/admin/pools`: list, create, rename (`PATCH` with `If-Match`), retire and restore (`If-Match`), and members.
struct PoolsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let pools = routes.grouped("pools")
        pools.get(use: list)
        pools.post(use: create)
        pools.get(":poolID", use: show)
        pools.patch(":poolID", use: rename)
        pools.post(":poolID", "retire", use: retire)
        pools.post(":poolID", "restore", use: restore)
        pools.post(":poolID", "members", use: addMember)
        pools.delete(":poolID", "members", ":userID", use: removeMember)
    }

    private func editor(_ request: Request) throws -> PoolsEditor { PoolsEditor(context: try request.adminContext) }

    @Sendable func list(request: Request) async throws -> [AdminPoolResponse] {
        try await editor(request).list()
    }

    @Sendable func create(request: Request) async throws -> Response {
        let editor = try editor(request)
        let pool = try await editor.create(try request.content.decode(AdminPoolInput.self))
        return try await pool.withETag(pool.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let pool = try await editor(request).get(try request.adminID("poolID"))
        return try await pool.withETag(pool.version).encodeResponse(for: request)
    }

    @Sendable func rename(request: Request) async throws -> Response {
        let editor = try editor(request)
        let version = try request.requiredIfMatchVersion()
        let pool = try await editor.rename(
            try request.adminID("poolID"), try request.content.decode(AdminPoolInput.self), version: version)
        return try await pool.withETag(pool.version).encodeResponse(for: request)
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
        let pool = try await editor.setRetired(try request.adminID("poolID"), retired, version: version)
        return try await pool.withETag(pool.version).encodeResponse(for: request)
    }

    @Sendable func addMember(request: Request) async throws -> Response {
        let editor = try editor(request)
        let pool = try await editor.addMember(
            try request.adminID("poolID"), try request.content.decode(AdminPoolMemberInput.self))
        return try await pool.withETag(pool.version).encodeResponse(for: request)
    }

    @Sendable func removeMember(request: Request) async throws -> Response {
        let editor = try editor(request)
        let pool = try await editor.removeMember(try request.adminID("poolID"), user: try request.adminID("userID"))
        return try await pool.withETag(pool.version).encodeResponse(for: request)
    }
}
