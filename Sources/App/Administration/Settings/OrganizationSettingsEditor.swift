import Domain
import Fluent
import Vapor

/// Reads and changes the organisation's messaging settings. Web and API call the same two methods.
struct OrganizationSettingsEditor {
    let context: AdminContext

    static let accountTypes: [Role] = [.patient, .proxy, .provider, .staff]
    static let replyDays = 1...30
    static let noticeLength = 500
    static let notificationTextLength = 300
    static let maxFiles = 1...20
    /// A web upload carries one file in a form of at most 27 MB.
    static let fileBytes = 1_000...25_000_000
    static let messageBytes = 1_000...100_000_000

    /// The zones the page offers: the IANA zones Foundation knows, and UTC (which it resolves but does not list).
    static let zones = Array(Set(TimeZone.knownTimeZoneIdentifiers + ["UTC"])).sorted()

    /// A zone from the list, or one Foundation resolves (an organisation made on the command line may have one).
    static func isZone(_ zone: String?) -> Bool {
        guard let zone, !zone.isEmpty, zone.count <= 64 else { return false }
        return zones.contains(zone) || TimeZone(identifier: zone) != nil
    }

    func read() async throws -> AdminSettingsResponse {
        try Self.response(try await findOrganization(on: context.db))
    }

    /// Every problem with `input`, in the order the page shows the fields; empty when it may be saved.
    static func problems(_ input: AdminSettingsInput) -> [AdministrationError] {
        var problems: [AdministrationError] = []
        func check(_ body: () throws -> Void) {
            do { try body() } catch let error as AdministrationError { problems.append(error) } catch {}
        }
        if input.messagingEnabled == nil {
            problems.append(.invalid("messagingEnabled", "Say whether messaging is on."))
        }
        let known = Set(accountTypes.map(\.rawValue))
        if let types = input.messagingAccountTypes {
            if let unknown = types.first(where: { !known.contains($0) }) {
                problems.append(
                    .invalid("messagingAccountTypes", "\(unknown.prefix(40)) is not an account type that can message."))
            }
        } else {
            problems.append(.invalid("messagingAccountTypes", "Choose the account types that may use messaging."))
        }
        if !replyDays.contains(input.replyBusinessDays ?? 0) {
            problems.append(.invalid("replyBusinessDays", "The reply time must be 1 to 30 business days."))
        }
        if !isZone(input.timeZone) {
            problems.append(.invalid("timeZone", "Choose a time zone from the list."))
        }
        check {
            _ = try AdminText.clean(
                input.replyNotice, field: "replyNotice", label: "the reply-time notice", max: noticeLength)
        }
        check {
            _ = try AdminText.clean(
                input.urgentNotice, field: "urgentNotice", label: "the urgent notice", max: noticeLength)
        }
        if !maxFiles.contains(input.attachmentMaxFiles ?? 0) {
            problems.append(.invalid("attachmentMaxFiles", "Files per message must be 1 to 20."))
        }
        if !fileBytes.contains(input.attachmentMaxFileBytes ?? 0) {
            problems.append(.invalid("attachmentMaxFileBytes", "The largest file must be 1 kB to 25 MB."))
        }
        if !messageBytes.contains(input.attachmentMaxMessageBytes ?? 0) {
            problems.append(.invalid("attachmentMaxMessageBytes", "A message's attachments must be 1 kB to 100 MB."))
        } else if let file = input.attachmentMaxFileBytes, let message = input.attachmentMaxMessageBytes,
            file > message
        {
            problems.append(
                .invalid("attachmentMaxMessageBytes", "A message's attachments can't be smaller than the largest file.")
            )
        }
        if let types = input.attachmentTypes {
            if let unknown = types.first(where: { !Organization.checkableContentTypes.contains($0) }) {
                problems.append(.invalid("attachmentTypes", "\(unknown.prefix(80)) is not a type Carebox can check."))
            }
        } else {
            problems.append(.invalid("attachmentTypes", "Choose the file types that may be attached."))
        }
        check { _ = try notificationFrom(input.notificationFrom) }
        check { _ = try notificationText(input.notificationText) }
        return problems
    }

    /// An email address, or nil (empty) for the server's own.
    static func notificationFrom(_ text: String?) throws -> String? {
        guard let text else {
            throw AdministrationError.invalid(
                "notificationFrom", "Give the From address of notification emails, or leave it empty for the server's.")
        }
        let address = text.trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty else { return nil }
        guard (try? SMTPAddress(address)) != nil else {
            throw AdministrationError.invalid(
                "notificationFrom", "The From address must be an email address, such as portal@example.org.")
        }
        return address
    }

    /// One paragraph of the organisation's own wording, or nil (empty) for the standard sentence.
    static func notificationText(_ text: String?) throws -> String? {
        guard let text else {
            throw AdministrationError.invalid(
                "notificationText", "Give the wording of notification emails, or leave it empty for the standard one.")
        }
        let wording = try AdminText.clean(
            text, field: "notificationText", label: "the notification wording", max: notificationTextLength,
            required: false)
        guard !wording.contains(where: \.isNewline) else {
            throw AdministrationError.invalid("notificationText", "The notification wording must be one paragraph.")
        }
        return wording.isEmpty ? nil : wording
    }

    /// Saves every setting if the organisation is still at `version`; answers the settings saved.
    func update(_ input: AdminSettingsInput, version: Int) async throws -> AdminSettingsResponse {
        if let problem = Self.problems(input).first { throw problem }
        let context = context
        return try await context.change { db in
            let organization = try await findOrganization(on: db)
            guard organization.version == version else { throw AdministrationError.versionConflict }
            let before = Self.auditValues(organization)
            let oldDays = organization.responseBusinessDays
            let days = input.replyBusinessDays!
            var notice = try AdminText.clean(
                input.replyNotice, field: "replyNotice", label: "the reply-time notice", max: Self.noticeLength)
            // The generated notice follows the reply time, so it never tells patients the old number of days.
            if days != oldDays, notice == organization.replyNotice,
                notice == Organization.defaultReplyNotice(days: oldDays)
            {
                notice = Organization.defaultReplyNotice(days: days)
            }
            try await AdminContext.bumpVersion(
                of: Organization.schema, id: context.organizationID, organizationID: context.organizationID,
                from: version, on: db)
            organization.messagingEnabled = input.messagingEnabled!
            let roles = Set(input.messagingAccountTypes!)
            organization.messagingAccountTypes = Self.accountTypes.map(\.rawValue).filter(roles.contains)
                .joined(separator: ",")
            organization.responseBusinessDays = days
            organization.timeZone = input.timeZone!
            organization.replyNotice = notice
            organization.urgentNotice = try AdminText.clean(
                input.urgentNotice, field: "urgentNotice", label: "the urgent notice", max: Self.noticeLength)
            organization.attachmentMaxFiles = input.attachmentMaxFiles!
            organization.attachmentMaxFileBytes = input.attachmentMaxFileBytes!
            organization.attachmentMaxMessageBytes = input.attachmentMaxMessageBytes!
            let types = Set(input.attachmentTypes!)
            organization.attachmentContentTypes = Organization.checkableContentTypes.filter(types.contains)
                .joined(separator: ",")
            organization.notificationFrom = try Self.notificationFrom(input.notificationFrom)
            organization.notificationText = try Self.notificationText(input.notificationText)
            organization.version = version + 1
            try await organization.save(on: db)
            try await context.actor.audit(
                "admin.settings.update", "organization", context.organizationID,
                change: AuditChange(before: before, after: Self.auditValues(organization)), on: db)
            return try Self.response(organization)
        }
    }

    private func findOrganization(on db: any Database) async throws -> Organization {
        guard let organization = try await Organization.find(context.organizationID, on: db) else {
            throw AdministrationError.notFound
        }
        return organization
    }

    static func response(_ organization: Organization) throws -> AdminSettingsResponse {
        AdminSettingsResponse(
            name: organization.name, messagingEnabled: organization.messagingEnabled,
            messagingAccountTypes: organization.messagingAccountTypes.split(separator: ",").map(String.init),
            replyBusinessDays: organization.responseBusinessDays, timeZone: organization.timeZone,
            replyNotice: organization.replyNotice, urgentNotice: organization.urgentNotice,
            attachmentMaxFiles: organization.attachmentMaxFiles,
            attachmentMaxFileBytes: organization.attachmentMaxFileBytes,
            attachmentMaxMessageBytes: organization.attachmentMaxMessageBytes,
            attachmentTypes: organization.attachmentContentTypes.split(separator: ",").map(String.init),
            notificationFrom: organization.notificationFrom ?? "",
            notificationText: organization.notificationText ?? "",
            version: organization.version)
    }

    /// Configuration values only; the notices are the organisation's own wording, never patient data.
    static func auditValues(_ organization: Organization) -> [String: String] {
        [
            "messaging_enabled": String(organization.messagingEnabled),
            "messaging_account_types": organization.messagingAccountTypes,
            "reply_business_days": String(organization.responseBusinessDays),
            "time_zone": organization.timeZone,
            "reply_notice": organization.replyNotice,
            "urgent_notice": organization.urgentNotice,
            "attachment_max_files": String(organization.attachmentMaxFiles),
            "attachment_max_file_bytes": String(organization.attachmentMaxFileBytes),
            "attachment_max_message_bytes": String(organization.attachmentMaxMessageBytes),
            "attachment_types": organization.attachmentContentTypes,
            "notification_from": organization.notificationFrom ?? "",
            "notification_text": organization.notificationText ?? "",
        ]
    }
}
