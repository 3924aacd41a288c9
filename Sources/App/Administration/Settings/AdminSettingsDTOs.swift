import Vapor

/// The organisation's settings as the API answers them; the `ETag` carries `version`.
struct AdminSettingsResponse: Content, Equatable {
    let name: String
    let messagingEnabled: Bool
    /// Of `patient`, `proxy`, `provider`, `staff`.
    let messagingAccountTypes: [String]
    let replyBusinessDays: Int
    let timeZone: String
    let replyNotice: String
    let urgentNotice: String
    let attachmentMaxFiles: Int
    let attachmentMaxFileBytes: Int
    let attachmentMaxMessageBytes: Int
    /// Content types, of those Carebox can recognise.
    let attachmentTypes: [String]
    /// The From address of notification emails; empty: the server's (`CAREBOX_MAIL_FROM`).
    let notificationFrom: String
    /// The first sentence of a new-message email; empty: "You have a new message in the NAME patient portal."
    let notificationText: String
    let version: Int
}

/// A change of every setting at once (`PUT`). A missing field is refused, naming it.
struct AdminSettingsInput: Content, Sendable {
    var messagingEnabled: Bool?
    var messagingAccountTypes: [String]?
    var replyBusinessDays: Int?
    var timeZone: String?
    var replyNotice: String?
    var urgentNotice: String?
    var attachmentMaxFiles: Int?
    var attachmentMaxFileBytes: Int?
    var attachmentMaxMessageBytes: Int?
    var attachmentTypes: [String]?
    var notificationFrom: String?
    var notificationText: String?
}
