import Vapor

/// Serves the OpenAPI 3.1 document that describes `/api/v1`, read once from `Resources/OpenAPI/openapi.json`.
struct OpenAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json", use: document)
    }

    @Sendable func document(request: Request) async throws -> Response {
        let path = request.application.directory.resourcesDirectory + "OpenAPI/openapi.json"
        let response = try await request.fileio.asyncStreamFile(at: path)
        response.headers.replaceOrAdd(name: .contentType, value: "application/json")
        return response
    }
}
