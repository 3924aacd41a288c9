import Vapor

/// A page answered with an error a person can act on (422: check the form; 409: someone changed it first; 429: wait)
/// starts its title with "Error: ", so a screen reader says so first, on every page alike (WCAG 3.3.1; the GOV.UK
/// pattern). Pages put their own title in `<title>`; this adds the word to the one already rendered.
struct ErrorTitleMiddleware: AsyncMiddleware {
    static let statuses: Set<UInt> = [409, 422, 429]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        guard Self.statuses.contains(response.status.code), response.headers.contentType == .html,
            let html = response.body.string, let title = html.range(of: "<title>"),
            !html[title.upperBound...].hasPrefix("Error: ")
        else { return response }
        response.body = .init(string: html.replacingCharacters(in: title, with: "<title>Error: "))
        return response
    }
}
