import Domain
import Vapor

/// A refusal from a messaging service: an HTTP status, a stable code, the field at fault, and a message safe to show.
/// None of them carries a subject, a message text or a name.
struct MessagingError: PublicError, Equatable {
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

    /// Also the answer for anything the actor may not know exists.
    static let notFound = MessagingError(.notFound, "not_found", "There is no such conversation or draft.")
    static let recipientNotEligible = MessagingError(
        .unprocessableEntity, "recipient_not_eligible", RecipientEligibility.notEligibleExplanation, field: "recipient")
    static let recipientRequired = MessagingError(
        .unprocessableEntity, "recipient_required", "Choose who the message is to.", field: "recipient")
    static let unknownMessageType = MessagingError(
        .unprocessableEntity, "unknown_message_type", "Choose a type of message from the list.", field: "message_type")
    static let subjectTooLong = MessagingError(
        .unprocessableEntity, "subject_too_long", "A subject can be at most 200 characters.", field: "subject")
    static let confidentialityNotAllowed = MessagingError(
        .unprocessableEntity, "confidentiality_not_allowed",
        "This message can't be marked confidential. Only the patient can mark messages confidential, and not every type of message allows it.",
        field: "confidential")
    static let wouldRevealConfidential = MessagingError(
        .unprocessableEntity, "confidentiality_cannot_be_removed",
        "A confidential conversation stays confidential.", field: "confidential")
    static let wouldWidenConfidential = MessagingError(
        .unprocessableEntity, "confidential_recipient_must_be_provider",
        "A confidential conversation can only be sent on to a single provider.", field: "recipient")
    static let forbidden = MessagingError(.forbidden, "forbidden", "You can't make this change to the conversation.")
    static let versionConflict = MessagingError(
        .conflict, "version_conflict",
        "This was changed somewhere else since you opened it. Reload to see the latest version, then try again.")
    static let preconditionRequired = MessagingError(
        .preconditionRequired, "if_match_required", "Send the version you are changing in an If-Match header.")
    static let idempotencyKeyInvalid = MessagingError(
        .unprocessableEntity, "idempotency_key_invalid",
        "The Idempotency-Key header must be 1 to 200 printable characters.", field: "Idempotency-Key")
    /// Another send of the same draft took it first; the caller answers with what that send made.
    static let draftTaken = MessagingError(
        .conflict, "draft_already_sent", "This draft has already been sent. Reload to see the conversation.")
    static let subjectLocked = MessagingError(
        .unprocessableEntity, "subject_change_not_allowed",
        "Only whoever started this conversation can change its subject.", field: "subject")
    static let recipientLocked = MessagingError(
        .unprocessableEntity, "recipient_change_not_allowed",
        "The recipient can't be changed once the care team has replied, or by someone who didn't start the conversation.",
        field: "recipient")
    static let alreadyAssigned = MessagingError(
        .conflict, "already_assigned", "Someone else has already taken this conversation. Reload to see who.")
    static let alreadyDone = MessagingError(
        .conflict, "already_done", "Someone has already marked this conversation Done. Reload to see it.")
    static let alreadyOpen = MessagingError(
        .conflict, "already_open", "Someone has already reopened this conversation. Reload to see it.")
    static let idempotencyKeyReused = MessagingError(
        .unprocessableEntity, "idempotency_key_reused",
        "This Idempotency-Key was already used for a different message. Use a new key for each message.",
        field: "Idempotency-Key")
    static let replyDraftExists = MessagingError(
        .conflict, "reply_draft_exists",
        "You already have a draft reply in this conversation, perhaps in another window. Reload to continue it.")
    static let nothingToSend = MessagingError(
        .unprocessableEntity, "body_required", "Enter a message before you send it.", field: "body")

    static func invalidBody(_ error: RichTextDocument.ValidationError) -> MessagingError {
        let message: String =
            switch error {
            case .empty: "Enter a message before you send it."
            case .tooLong(let max): "A message can be at most \(max) characters."
            case .tooManyNodes, .tooDeep: "This message has too much formatting. Simplify the lists and try again."
            case .unsafeLink: "Links must start with http://, https:// or mailto:."
            case .controlCharacters: "The message contains characters that can't be sent."
            }
        return MessagingError(.unprocessableEntity, "invalid_body", message, field: "body")
    }
}
