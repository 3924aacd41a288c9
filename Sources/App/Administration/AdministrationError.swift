import Vapor

/// A refusal from an administration service: an HTTP status, a stable code, the field at fault, and a message safe to
/// show. Pages show it beside the field; the API answers it as problem+json.
struct AdministrationError: PublicError, Equatable {
    let status: HTTPResponseStatus
    let code: String
    let message: String
    let field: String?

    init(_ status: HTTPResponseStatus, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// Also the answer for another organisation's records.
    static let notFound = AdministrationError(.notFound, "not_found", "There is no such record in your organization.")
    static let forbidden = AdministrationError(.forbidden, "forbidden", "Only administrators can use this.")
    static let versionConflict = AdministrationError(
        .conflict, "version_conflict",
        "Someone else changed this since you opened it. Reload to see their change, then make yours again.")

    /// Two administrators made the same change at the same moment; one of them gets this.
    static let simultaneousChange = AdministrationError(
        .conflict, "simultaneous_change",
        "Someone else made the same change at the same moment. Reload to see it, then try again if you still need to.")

    /// A field's value is missing or not acceptable.
    static func invalid(_ field: String, _ message: String) -> AdministrationError {
        AdministrationError(.unprocessableEntity, "invalid_\(field)", message, field: field)
    }
}

/// An error whose message is written for the person who caused it: ErrorPageMiddleware shows it as it is, with its
/// field. Never holds patient data.
protocol PublicError: AbortError {
    var code: String { get }
    var message: String { get }
    var field: String? { get }
}

extension PublicError {
    var reason: String { message }
}
