import Vapor

/// Under `/api/`, a method an address does not take answers 405 with `Allow` naming the ones it does (RFC 9110
/// §15.5.6): the resource is there, the method is not. An address no route takes goes on to 404 as before. The routes
/// are looked through only when the router found none for the request, not on every request (bench/RESULTS.md).
struct MethodNotAllowedMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let notFound as RouteNotFound {
            guard request.url.path.hasPrefix("/api/") else { throw notFound }
            let allowed = request.application.routes.methods(at: request.url.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw notFound }
            throw MethodNotAllowed(allowed: allowed)
        }
    }
}

struct MethodNotAllowed: AbortError {
    let allowed: [String]

    var status: HTTPResponseStatus { .methodNotAllowed }
    var headers: HTTPHeaders { ["Allow": allowed.joined(separator: ", ")] }
    var reason: String { "This address takes \(allowed.joined(separator: ", ")) only." }
}

extension Routes {
    /// The methods the routes take at `path`, HEAD wherever GET is (Vapor answers HEAD from the GET route), sorted.
    func methods(at path: String) -> [String] {
        let segments = path.split(separator: "/")
        var methods = Set(all.filter { Self.route($0.path, matches: segments) }.map(\.method.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    private static func route(_ pattern: [PathComponent], matches segments: [Substring]) -> Bool {
        for (index, component) in pattern.enumerated() {
            switch component {
            case .catchall:
                return segments.count > index
            case .parameter, .anything:
                guard segments.count > index else { return false }
            case .constant(let name):
                guard segments.count > index, segments[index] == name else { return false }
            }
        }
        return pattern.count == segments.count
    }
}
