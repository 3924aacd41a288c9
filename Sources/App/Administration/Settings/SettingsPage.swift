import Domain
import Foundation
import Vapor

/// The settings form's model: the values shown (saved, or as posted when refused) and any field errors.
struct SettingsPage: Encodable {
    struct Choice: Encodable {
        let name: String
        let label: String
        let checked: Bool
    }

    struct Zone: Encodable {
        let value: String
        let selected: Bool
    }

    let layout: LayoutModel
    let version: String
    let messagingEnabled: Bool
    let accountTypes: [Choice]
    let replyBusinessDays: String
    let zones: [Zone]
    let replyNotice: String
    let urgentNotice: String
    let attachmentMaxFiles: String
    let attachmentMaxFileMegabytes: String
    let attachmentMaxMessageMegabytes: String
    let fileTypes: [Choice]
    let notificationFrom: String
    let notificationText: String
    /// The sentence an email says when the wording is left empty.
    let standardNotificationText: String
    /// This server's own From address, or nil when it sends no email.
    let serverMailFrom: String?
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]
    let saved: Bool

    static let accountLabels: [Role: String] = [
        .patient: "Patients", .proxy: "Proxies (authorized representatives)", .provider: "Providers",
        .staff: "Staff",
    ]

    init(layout: LayoutModel, settings: AdminSettingsResponse, serverMailFrom: String?, saved: Bool) {
        self.init(
            layout: layout, name: settings.name, serverMailFrom: serverMailFrom, version: String(settings.version),
            enabled: settings.messagingEnabled,
            accounts: Set(settings.messagingAccountTypes), days: String(settings.replyBusinessDays),
            zone: settings.timeZone, replyNotice: settings.replyNotice, urgentNotice: settings.urgentNotice,
            files: String(settings.attachmentMaxFiles),
            fileMB: Self.megabytes(settings.attachmentMaxFileBytes),
            messageMB: Self.megabytes(settings.attachmentMaxMessageBytes), types: Set(settings.attachmentTypes),
            notificationFrom: settings.notificationFrom, notificationText: settings.notificationText, errors: [],
            saved: saved)
    }

    /// The form as posted, refused.
    init(
        layout: LayoutModel, name: String, serverMailFrom: String?, form: SettingsController.SettingsForm,
        input: AdminSettingsInput, errors: [AdministrationError]
    ) {
        self.init(
            layout: layout, name: name, serverMailFrom: serverMailFrom, version: form.version ?? "",
            enabled: input.messagingEnabled ?? false,
            accounts: Set(input.messagingAccountTypes ?? []), days: form.replyBusinessDays ?? "",
            zone: form.timeZone ?? "", replyNotice: form.replyNotice ?? "", urgentNotice: form.urgentNotice ?? "",
            files: form.attachmentMaxFiles ?? "", fileMB: form.attachmentMaxFileMegabytes ?? "",
            messageMB: form.attachmentMaxMessageMegabytes ?? "", types: Set(input.attachmentTypes ?? []),
            notificationFrom: form.notificationFrom ?? "", notificationText: form.notificationText ?? "",
            errors: errors, saved: false)
    }

    private init(
        layout: LayoutModel, name: String, serverMailFrom: String?, version: String, enabled: Bool,
        accounts: Set<String>, days: String, zone: String,
        replyNotice: String, urgentNotice: String, files: String, fileMB: String, messageMB: String,
        types: Set<String>, notificationFrom: String, notificationText: String, errors: [AdministrationError],
        saved: Bool
    ) {
        self.layout = layout
        self.version = version
        messagingEnabled = enabled
        accountTypes = OrganizationSettingsEditor.accountTypes.map {
            Choice(
                name: "account_\($0.rawValue)", label: Self.accountLabels[$0] ?? $0.rawValue,
                checked: accounts.contains($0.rawValue))
        }
        replyBusinessDays = days
        let offered =
            OrganizationSettingsEditor.zones.contains(zone) || zone.isEmpty
            ? OrganizationSettingsEditor.zones : ([zone] + OrganizationSettingsEditor.zones)
        zones = offered.map { Zone(value: $0, selected: $0 == zone) }
        self.replyNotice = replyNotice
        self.urgentNotice = urgentNotice
        attachmentMaxFiles = files
        attachmentMaxFileMegabytes = fileMB
        attachmentMaxMessageMegabytes = messageMB
        fileTypes = AttachmentKind.allCases.map {
            Choice(
                name: "type_\($0.rawValue)", label: $0.label.prefix(1).uppercased() + $0.label.dropFirst(),
                checked: types.contains($0.contentType))
        }
        self.notificationFrom = notificationFrom
        self.notificationText = notificationText
        standardNotificationText = NotificationEmail.defaultText(organization: name)
        self.serverMailFrom = serverMailFrom
        var fields: [String: String] = [:]
        for error in errors where fields[Self.formField(error.field)] == nil {
            fields[Self.formField(error.field)] = error.message
        }
        self.errors = fields
        errorSummary = ErrorSummaryItem.list(
            fields, order: errors.map { Self.formField($0.field) },
            targets: [
                "messagingAccountTypes": "messagingAccountTypes-error", "attachmentTypes": "attachmentTypes-error",
            ])
        self.saved = saved
    }

    /// The API names bytes; the form shows megabytes.
    static func formField(_ field: String?) -> String {
        switch field {
        case "attachmentMaxFileBytes": "attachmentMaxFileMegabytes"
        case "attachmentMaxMessageBytes": "attachmentMaxMessageMegabytes"
        default: field ?? "form"
        }
    }

    /// "10", "2.5": decimal megabytes (1 MB = 1,000,000 bytes), as `AttachmentRules` states limits.
    static func megabytes(_ bytes: Int) -> String {
        bytes % 1_000_000 == 0
            ? String(bytes / 1_000_000)
            : String(format: "%.3f", Double(bytes) / 1_000_000).replacingOccurrences(
                of: "\\.?0+$", with: "", options: .regularExpression)
    }

    static func bytes(fromMegabytes text: String?) -> Int? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), text.count <= 12,
            text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(text), value.isFinite
        else { return nil }
        return Int((value * 1_000_000).rounded())
    }
}
