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
        /// The request field at fault, when there is one.
        let field: String?
    }

    struct ErrorPage: Encodable {
        let title: String
        let message: String
    }

    /// Outages and a full disk are logged once a minute, not once a request.
    let troubleLog = ThrottledLog()

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let (page, field) = describe(error, request: request)
            let response = try await render(page, field: field, for: request)
            if page.status == .serviceUnavailable {
                response.headers.replaceOrAdd(name: .retryAfter, value: String(ServiceTrouble.retryAfterSeconds))
            }
            // Headers the error asks for (`Allow` on a 405) go with it; its body is this middleware's.
            if let abort = error as? any AbortError {
                for (name, value) in abort.headers where name.lowercased() != "content-type" {
                    response.headers.replaceOrAdd(name: name, value: value)
                }
            }
            return response
        }
    }

    private func render(_ page: PageError, field: String?, for request: Request) async throws -> Response {
        do {
            if request.url.path.hasPrefix("/api/") {
                let problem = Problem(
                    type: "about:blank", title: page.title, status: Int(page.status.code), code: page.code,
                    detail: page.message, field: field)
                let response = Response(status: page.status, body: .init(data: try JSONEncoder().encode(problem)))
                response.headers.contentType = .init(
                    type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])
                return response
            }
            return try await request.view.render("error", ErrorPage(title: page.title, message: page.message))
                .encodeResponse(status: page.status, for: request)
        }
    }

    private func describe(_ error: any Error, request: Request) -> (PageError, field: String?) {
        switch error {
        case let page as PageError:
            return (page, nil)
        case let known as any PublicError:
            return (
                PageError(
                    status: known.status, code: known.code, title: known.status.reasonPhrase, message: known.message),
                known.field
            )
        case is APIAuthenticationError:
            return (
                PageError(
                    status: .unauthorized, code: "unauthenticated", title: "Unauthorized",
                    message: APIAuthenticationError().reason), nil
            )
        case let decoding as DecodingError:
            let field = decoding.fieldPath
            return (
                PageError(
                    status: .unprocessableEntity, code: "invalid_request",
                    title: HTTPResponseStatus.unprocessableEntity.reasonPhrase,
                    message: field.map { "The field \($0) is missing or has the wrong type." }
                        ?? "The request body is not valid JSON of the expected shape."), field
            )
        case let error where ServiceTrouble(error) != nil:
            let trouble = ServiceTrouble(error)!
            if troubleLog.shouldLog("\(trouble)") {
                request.logger.error(
                    "Service trouble (logged at most once a minute)",
                    metadata: ["trouble": "\(trouble)", "type": "\(String(reflecting: type(of: error)))"])
            }
            return (trouble.page, nil)
        case let method as MethodNotAllowed:
            return (
                PageError(
                    status: .methodNotAllowed, code: "method_not_allowed", title: "Method Not Allowed",
                    message: method.reason), nil
            )
        case let abort as any AbortError where abort.status == .notFound:
            return (.notFound, nil)
        case let abort as any AbortError where abort.status == .forbidden:
            return (.forbidden, nil)
        case let abort as any AbortError where abort.status.code < 500:
            return (
                PageError(
                    status: abort.status,
                    code: abort.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                    title: abort.status.reasonPhrase,
                    message: "This request could not be completed. Go back and try again."), nil
            )
        default:
            request.logger.error("Unhandled error", metadata: ["type": "\(String(reflecting: type(of: error)))"])
            return (.internalError, nil)
        }
    }
}

extension DecodingError {
    /// The dotted path of the field that failed, without any of the value.
    var fieldPath: String? {
        let path: [any CodingKey]
        switch self {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: return nil
        }
        let names = path.map { $0.intValue.map(String.init) ?? $0.stringValue }
        return names.isEmpty ? nil : names.joined(separator: ".")
    }
}
