import Vapor

/// An error shown to a person as a page. Its title and message are fixed texts: never patient data, never the
/// underlying error.
struct PageError: AbortError, Equatable {
    let status: HTTPResponseStatus
    let code: String
    let title: String
    let message: String

    var reason: String { message }

    static let notFound = PageError(
        status: .notFound, code: "not_found", title: "Page not found",
        message: "We couldn't find that page. Check the address, or go back to Today.")
    static let formExpired = PageError(
        status: .forbidden, code: "form_expired", title: "This form has expired",
        message: "For your security this form can no longer be sent. Go back, reload the page and try again.")
    static let internalError = PageError(
        status: .internalServerError, code: "internal_error", title: "Something went wrong",
        message: "Something went wrong on our side and nothing was changed. Please try again in a moment.")
    static let forbidden = PageError(
        status: .forbidden, code: "forbidden", title: "Not available",
        message: "Your account cannot use this page.")
}
