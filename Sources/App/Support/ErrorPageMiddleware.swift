import Vapor

/// Renders every error as a page a person can act on, or as RFC 9457 problem+json under `/api/`. The detail that
/// explains an unexpected error goes to the log by type only; its text could hold patient data.
struct ErrorPageMiddleware: AsyncMiddleware {
    struct Problem: Content {
        let type: String
        let title: String
        let status: Int
        let code: String
        let detail: String
    }

    struct ErrorPage: Encodable {
        let title: String
        let message: String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let page = pageError(for: error, request: request)
            if request.url.path.hasPrefix("/api/") {
                let problem = Problem(
                    type: "about:blank", title: page.title, status: Int(page.status.code), code: page.code,
                    detail: page.message)
                let response = Response(status: page.status)
                try response.content.encode(problem, as: .init(type: "application", subType: "problem+json"))
                return response
            }
            let response = try await request.view.render("error", ErrorPage(title: page.title, message: page.message))
                .encodeResponse(status: page.status, for: request)
            return response
        }
    }

    private func pageError(for error: any Error, request: Request) -> PageError {
        switch error {
        case let page as PageError:
            return page
        case let abort as any AbortError where abort.status == .notFound:
            return .notFound
        case let abort as any AbortError where abort.status == .forbidden:
            return .forbidden
        case let abort as any AbortError where abort.status.code < 500:
            return PageError(
                status: abort.status,
                code: abort.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                title: abort.status.reasonPhrase, message: "This request could not be completed. Go back and try again."
            )
        default:
            request.logger.error("Unhandled error", metadata: ["type": "\(String(reflecting: type(of: error)))"])
            return .internalError
        }
    }
}
