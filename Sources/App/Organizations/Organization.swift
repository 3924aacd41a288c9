import Domain
import Fluent
import Foundation

/// A healthcare organisation running Carebox, with its messaging settings. Every other record belongs to exactly
/// one, and no query crosses from one to another.
final class Organization: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// An IANA zone such as `America/Chicago`: business days and due dates are counted in it.
    @Field(key: "time_zone") var timeZone: String
    /// How many business days patients are told to allow for a reply.
    @Field(key: "response_business_days") var responseBusinessDays: Int
    @Field(key: "messaging_enabled") var messagingEnabled: Bool
    /// The roles whose holders may use messaging, comma-separated ("depending on … type of account").
    @Field(key: "messaging_account_types") var messagingAccountTypes: String
    /// Shown where messages are written: how long a reply may take.
    @Field(key: "reply_notice") var replyNotice: String
    /// Shown where messages are written: not for emergencies.
    @Field(key: "urgent_notice") var urgentNotice: String
    @Field(key: "attachment_max_files") var attachmentMaxFiles: Int
    @Field(key: "attachment_max_file_bytes") var attachmentMaxFileBytes: Int
    @Field(key: "attachment_max_message_bytes") var attachmentMaxMessageBytes: Int
    /// Allowed attachment content types, comma-separated.
    @Field(key: "attachment_content_types") var attachmentContentTypes: String
    /// How many bytes of attachments one person may have stored, sent or in drafts.
    @Field(key: "attachment_quota_bytes") var attachmentQuotaBytes: Int
    /// The From address of notification emails; nil: the server's `CAREBOX_MAIL_FROM`.
    @OptionalField(key: "notification_from") var notificationFrom: String?
    /// The sentence a new-message email says; nil: `NotificationEmail.defaultText`.
    @OptionalField(key: "notification_text") var notificationText: String?
    /// Bumped by every settings change, for `If-Match`.
    @Field(key: "version") var version: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    @Children(for: \.$organization) var holidays: [OrganizationHoliday]

    init() {}

    init(id: UUID? = nil, name: String, timeZone: String, responseBusinessDays: Int, messagingEnabled: Bool = true) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.responseBusinessDays = responseBusinessDays
        self.messagingEnabled = messagingEnabled
        self.version = 1
        self.messagingAccountTypes = [Role.patient, .proxy, .provider, .staff].map(\.rawValue).joined(separator: ",")
        self.replyNotice = Organization.defaultReplyNotice(days: responseBusinessDays)
        self.urgentNotice =
            "Do not use messaging for urgent matters. Call 911 if you are experiencing a medical emergency."
        self.attachmentMaxFiles = 5
        self.attachmentMaxFileBytes = 10 * 1_000_000
        self.attachmentMaxMessageBytes = 25 * 1_000_000
        self.attachmentQuotaBytes = Organization.defaultAttachmentQuota
        self.attachmentContentTypes = [
            "application/pdf", "image/png", "image/jpeg", "image/gif", "image/heic", "text/plain",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ].joined(separator: ",")
    }

    /// 500 MB: fifty full-size files, far beyond what a patient's messages carry in years.
    static let defaultAttachmentQuota = 500_000_000

    /// Account types (roles) that may use messaging.
    var messagingRoles: Set<Role> {
        Set(messagingAccountTypes.split(separator: ",").compactMap { Role(rawValue: String($0)) })
    }

    /// The reply-time notice a new organisation starts with. Settings keep it in step with the reply time until an
    /// administrator writes their own.
    static func defaultReplyNotice(days: Int) -> String {
        "Remember to allow up to \(spelled(days)) business \(days == 1 ? "day" : "days") for a response."
    }

    /// Content types Carebox can recognise by their content, and so may allow.
    static let checkableContentTypes = AttachmentKind.allCases.map(\.contentType)

    private static func spelled(_ number: Int) -> String {
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        return words.indices.contains(number) ? words[number] : String(number)
    }
}

/// A day the organisation's offices are closed.
final class OrganizationHoliday: Model, @unchecked Sendable {
    static let schema = "organization_holidays"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    /// `YYYY-MM-DD`, see `CalendarDate`.
    @Field(key: "date") var date: String
    @Field(key: "name") var name: String

    init() {}

    init(organizationID: Organization.IDValue, date: String, name: String) {
        self.$organization.id = organizationID
        self.date = date
        self.name = name
    }
}
