import Domain
import Fluent
import SQLKit
import Vapor

/// A person's own notification choices: the address emails go to, how they hear of new messages (patients and
/// proxies), and whether they get the daily summary of their work (care team). The Notifications page and the API
/// call the same two methods; a change is refused if the account changed since it was read (`version`).
struct NotificationPreferences {
    let user: SignedInUser
    let db: any Database
    let writes: WriteSerializer
    let now: Date
    let address: String?

    init(_ request: Request) throws {
        user = try request.signedInUser
        db = request.db
        writes = request.application.writes
        now = request.now
        address = request.clientAddress
    }

    static let maxEmailLength = 254

    /// What the API answers; `ETag` carries `version`.
    struct Response: Content, Equatable {
        /// Nil: no emails.
        let email: String?
        /// `immediately`, `daily_summary` or `off`; only patients and proxies are asked.
        let newMessages: MessageNotices
        /// A care-team member's morning summary of their open and overdue conversations.
        let careTeamSummary: Bool
        /// Which of the two choices apply to this person.
        let asksNewMessages: Bool
        let asksCareTeamSummary: Bool
        let version: Int
    }

    /// A change of every choice at once. A choice that does not apply to the person may be left out.
    struct Input: Content, Sendable {
        var email: String?
        var newMessages: String?
        var careTeamSummary: Bool?
    }

    var asksNewMessages: Bool { !user.roles.isDisjoint(with: [.patient, .proxy]) }
    var asksCareTeamSummary: Bool { user.roles.contains(where: \.isCareTeam) }

    func read() async throws -> Response {
        response(try await stored(on: db))
    }

    /// Saves every choice if the account is still at `version`; answers what was saved.
    func update(_ input: Input, version: Int) async throws -> Response {
        let email = try Self.cleanEmail(input.email)
        let notices = try choice(input.newMessages)
        if input.careTeamSummary == true && !asksCareTeamSummary {
            throw MessagingError(
                .unprocessableEntity, "invalid_care_team_summary", "Only care-team members get the daily summary.",
                field: "careTeamSummary")
        }
        let (id, organizationID, now, address) = (user.id, user.organizationID, now, address)
        let summary = asksCareTeamSummary ? (input.careTeamSummary ?? false) : false
        return try await writes.transaction(on: db) { db in
            // The version moves first, and only from the one that was read: of two changes at once, one is refused.
            let moved = try await db.sql().raw(
                "UPDATE users SET version = version + 1 WHERE id = \(bind: id) AND version = \(bind: version) RETURNING id"
            ).all()
            guard !moved.isEmpty else { throw MessagingError.versionConflict }
            let user = try await stored(on: db)
            let before = Self.auditValues(user)
            user.email = email
            user.messageNotices = notices ?? user.messageNotices
            user.careTeamSummary = summary
            try await user.save(on: db)
            try await AuditLog.append(
                AuditEntry(
                    action: "account.notifications.change", recordType: "user", recordID: id,
                    change: AuditChange(before: before, after: Self.auditValues(user))),
                context: AuditContext(
                    organizationID: organizationID, actorID: id, actingForID: nil, address: address),
                at: now, on: db)
            return response(user)
        }
    }

    /// An address as SMTP will take it, or nil for none. Never echoed in an error.
    static func cleanEmail(_ text: String?) throws -> String? {
        let email = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard !email.isEmpty else { return nil }
        guard email.count <= maxEmailLength, (try? SMTPAddress(email)) != nil else {
            throw MessagingError(
                .unprocessableEntity, "invalid_email",
                "Enter an email address such as name@example.org, or leave it empty.",
                field: "email")
        }
        return email
    }

    private func choice(_ text: String?) throws -> MessageNotices? {
        guard asksNewMessages else { return nil }
        guard let text, let notices = MessageNotices(rawValue: text) else {
            throw MessagingError(
                .unprocessableEntity, "invalid_new_messages", "Choose right away, a daily summary, or off.",
                field: "newMessages")
        }
        return notices
    }

    private func stored(on db: any Database) async throws -> User {
        guard let user = try await User.find(user.id, on: db) else { throw Abort(.unauthorized) }
        return user
    }

    private func response(_ user: User) -> Response {
        Response(
            email: user.email, newMessages: user.messageNotices, careTeamSummary: user.careTeamSummary,
            asksNewMessages: asksNewMessages, asksCareTeamSummary: asksCareTeamSummary, version: user.version)
    }

    /// Whether there is an address, not the address itself.
    private static func auditValues(_ user: User) -> [String: String] {
        [
            "email": user.email == nil ? "none" : "set", "newMessages": user.messageNotices.rawValue,
            "careTeamSummary": user.careTeamSummary ? "on" : "off",
        ]
    }
}
