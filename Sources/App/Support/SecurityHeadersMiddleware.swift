import Vapor

/// Headers every response carries. The Content-Security-Policy allows scripts and styles from this site's own files
/// only, so even text that escaped escaping could not run script. Behind https, browsers are told to use nothing else
/// for a year. Methods no page or API uses (TRACE, CONNECT) are refused before anything else sees them.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    /// Whether the public address is https, so `Strict-Transport-Security` is sent.
    let strictTransportSecurity: Bool

    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "object-src 'none'",
        "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
    ].joined(separator: "; ")

    static let refusedMethods: [HTTPMethod] = [.TRACE, .CONNECT]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response =
            Self.refusedMethods.contains(request.method)
            ? Response(
                status: .methodNotAllowed,
                headers: ["Allow": request.application.routes.methods(at: request.url.path).joined(separator: ", ")])
            : try await next.respond(to: request)
        if strictTransportSecurity {
            response.headers.replaceOrAdd(
                name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
        }
        // A handler may set a stricter policy of its own (downloads set `sandbox`); every other response gets this one.
        if !response.headers.contains(name: "Content-Security-Policy") {
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        }
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        if !request.url.path.hasPrefix("/css/") && !request.url.path.hasPrefix("/js/") {
            // Pages hold patient data: no shared or back-button cache may keep them.
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}
