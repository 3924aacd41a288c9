import Vapor

/// `GET` and `PUT /api/v1/admin/settings`: the organisation's settings, with `If-Match` required to change them.
struct SettingsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("settings", use: show)
        routes.put("settings", use: update)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let settings = try await OrganizationSettingsEditor(context: try request.adminContext).read()
        return try await settings.withETag(settings.version).encodeResponse(for: request)
    }

    @Sendable func update(request: Request) async throws -> Response {
        let context = try request.adminContext
        let version = try request.requiredIfMatchVersion()
        let input = try request.content.decode(AdminSettingsInput.self)
        let settings = try await OrganizationSettingsEditor(context: context).update(input, version: version)
        return try await settings.withETag(settings.version).encodeResponse(for: request)
    }
}
