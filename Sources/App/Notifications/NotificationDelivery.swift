import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// How this server sends email notifications; `Application.emailNotifications` is nil when `CAREBOX_SMTP_URL` is
/// unset, and then no notification is written or sent.
struct EmailNotifications: Sendable {
    let client: SMTPClient
    /// The From address, unless the organisation has its own (`CAREBOX_MAIL_FROM`).
    let from: String
    /// Links in emails start here (`CAREBOX_PUBLIC_URL`).
    let publicURL: URL
}

/// Sends what the outbox holds, on any number of servers at once: each notification is claimed by one of them
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer) for `lease` seconds, sent, and marked. A server that
/// dies holding a claim leaves it to run out, and another (or the same, restarted) sends it then. Transient failures
/// are tried again with growing waits; a permanent one (a 5xx to RCPT), or a day of transient ones, marks the
/// notification failed, for the administrator to see.
struct NotificationDelivery {
    let db: any Database
    let writes: WriteSerializer
    let organizations: OrganizationCache
    let email: EmailNotifications
    let clock: any AppClock

    init(_ app: Application, email: EmailNotifications) {
        db = app.db
        writes = app.writes
        organizations = app.organizations
        self.email = email
        clock = app.config.clock
    }

    /// Longer than a send can take with the client's timeouts.
    static let lease: TimeInterval = 300
    static let batchSize = 20
    /// The wait before each further try after a transient failure; the last repeats.
    static let retryDelays: [TimeInterval] = [5, 15, 30, 60, 120, 300, 600, 1800, 3600]
    static let giveUpAfter: TimeInterval = 24 * 3600

    /// Sends every notification that is due. Answers how many went out from this server.
    @discardableResult
    func deliverDue() async throws -> Int {
        var sent = 0
        while true {
            let claimed = try await claim()
            if claimed.isEmpty { return sent }
            for notification in claimed where try await deliver(notification) { sent += 1 }
        }
    }

    // MARK: Claiming

    struct Claimed: Sendable {
        let id: UUID
        let organizationID: UUID
        let userID: UUID
        let kind: NotificationKind
        let conversationID: UUID?
        let openCount: Int?
        let overdueCount: Int?
        let attempts: Int
        let createdAt: Date
        let claim: UUID
    }

    private func claim() async throws -> [Claimed] {
        let now = clock.now()
        let token = UUID()
        return try await writes.transaction(on: db) { db in
            let sql = db.sql()
            let skipLocked: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
            let rows = try await sql.raw(
                """
                UPDATE notifications SET claim = \(bind: token), \
                claimed_until = \(bind: now.addingTimeInterval(Self.lease)), attempts = attempts + 1 \
                WHERE id IN (SELECT id FROM notifications WHERE status = \(bind: NotificationStatus.pending.rawValue) \
                AND due_at <= \(bind: now) AND (claimed_until IS NULL OR claimed_until < \(bind: now)) \
                ORDER BY due_at LIMIT \(literal: Self.batchSize)\(skipLocked)) \
                RETURNING id, organization_id, user_id, kind, conversation_id, open_count, overdue_count, attempts, \
                created_at
                """
            ).all()
            return try rows.map { row in
                Claimed(
                    id: try row.decode(column: "id", as: UUID.self),
                    organizationID: try row.decode(column: "organization_id", as: UUID.self),
                    userID: try row.decode(column: "user_id", as: UUID.self),
                    kind: NotificationKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .newMessage,
                    conversationID: try row.decode(column: "conversation_id", as: UUID?.self),
                    openCount: try row.decode(column: "open_count", as: Int?.self),
                    overdueCount: try row.decode(column: "overdue_count", as: Int?.self),
                    attempts: try row.decode(column: "attempts", as: Int.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self), claim: token)
            }
        }
    }

    // MARK: Sending

    /// Sends one claimed notification, if it is still wanted, and records how that went. True when it went out.
    private func deliver(_ notification: Claimed) async throws -> Bool {
        let now = clock.now()
        guard let organization = try await organizations.entry(for: notification.organizationID, at: now, on: db),
            let recipient = try await stillWanted(notification, organization: organization, now: now),
            let content = try await content(of: notification, organization, for: recipient, now: now),
            let message = try? SMTPMessage(
                from: SMTPAddress(
                    organization.settings.notificationFrom ?? email.from, displayName: organization.settings.name),
                to: SMTPAddress(recipient.address), subject: content.subject, body: content.body)
        else {
            try await finish(notification, .skipped)
            return false
        }
        let messageID: String
        do {
            messageID = try await email.client.send(message)
        } catch {
            let late = clock.now().timeIntervalSince(notification.createdAt) >= Self.giveUpAfter
            if error.isTransient && !late {
                let wait = Self.retryDelays[min(notification.attempts, Self.retryDelays.count) - 1]
                try await retry(notification, after: wait, because: error)
            } else {
                try await finish(notification, .failed, failure: error.description)
            }
            return false
        }
        try await finish(notification, .sent, at: now, messageID: messageID)
        return true
    }

    struct Recipient {
        let address: String
        let username: String?
    }

    /// Where to write, when the person still wants this notification and may still see what it is about.
    private func stillWanted(_ notification: Claimed, organization: OrganizationCache.Entry, now: Date) async throws
        -> Recipient?
    {
        let condition: SQLQueryString
        switch (notification.kind, notification.conversationID) {
        case (.newMessage, let conversation?):
            let mayRead = NotificationOutbox.patientSideMayRead(
                organization.settings, today: organization.calendar.day(of: now))
            condition = """
                users.message_notices = \(bind: MessageNotices.immediately.rawValue) AND EXISTS (SELECT 1 \
                FROM conversations WHERE conversations.id = \(bind: conversation) AND \(mayRead))
                """
        case (.dailySummary, _) where notification.openCount != nil:
            condition = "users.care_team_summary = \(bind: true)"
        case (.dailySummary, _):
            condition = "users.message_notices = \(bind: MessageNotices.dailySummary.rawValue)"
        case (.passwordChanged, _), (.newSignIn, _):
            condition = "1 = 1"  // a security notice: to whoever has an address, whatever they chose for messages
        case (.passwordReset, _):
            condition = PasswordResets.link.isOpen(for: notification.id, at: now)
        case (.activationCode, _):
            condition = ActivationCodes.emailed.isOpen(for: notification.id, at: now)
        case (.proxyInvitation, _):
            // To the address the patient typed, not to a person of the organisation.
            return try await ProxyInvitations.address(for: notification.id, at: now, on: db.sql())
                .map { Recipient(address: $0, username: nil) }
        case (.newMessage, nil):
            return nil
        }
        guard
            let row = try await db.sql().raw(
                """
                SELECT users.email, users.username FROM users WHERE users.id = \(bind: notification.userID) \
                AND users.email IS NOT NULL AND users.deactivated_at IS NULL AND \(condition)
                """
            ).first()
        else { return nil }
        return Recipient(
            address: try row.decode(column: "email", as: String.self),
            username: try row.decode(column: "username", as: String?.self))
    }

    /// The words to send; nil when there is nothing to say after all. A reset link gets its secret here, made anew
    /// for each try (`EmailedSecret`).
    private func content(
        of notification: Claimed, _ entry: OrganizationCache.Entry, for recipient: Recipient, now: Date
    ) async throws -> NotificationEmail? {
        let organization = entry.settings
        switch notification.kind {
        case .newMessage:
            guard let conversation = notification.conversationID else { return nil }
            return .newMessage(
                from: organization, link: signInLink(then: "/messages/\(conversation.uuidString.lowercased())"))
        case .dailySummary:
            if let open = notification.openCount {
                return .careTeamSummary(
                    from: organization, open: open, overdue: notification.overdueCount ?? 0,
                    link: signInLink(then: "/care-team"))
            }
            return .unreadSummary(from: organization, link: signInLink(then: "/messages"))
        case .passwordChanged:
            return .passwordChanged(from: organization, link: signInLink(then: PasswordController.changePath))
        case .newSignIn:
            return .newSignIn(from: organization, link: signInLink(then: SecurityController.path))
        case .passwordReset:
            let token = SessionStore.newToken()
            guard let username = recipient.username,
                try await keep(token, PasswordResets.link, notification, now) != nil
            else { return nil }
            return .passwordReset(
                from: organization, username: username,
                link: link(PasswordResetController.resetPath, [URLQueryItem(name: "token", value: token)]))
        case .activationCode:
            let code = PrintableCode.generate()
            guard let expiresAt = try await keep(code, ActivationCodes.emailed, notification, now) else { return nil }
            return .activationCode(
                from: organization, code: PrintableCode.display(code),
                until: entry.calendar.day(of: expiresAt).spelledOut,
                link: link(SignUpController.path, []))
        case .proxyInvitation:
            let token = SessionStore.newToken()
            guard let expiresAt = try await keep(token, ProxyInvitations.link, notification, now) else { return nil }
            return .proxyInvitation(
                from: organization, until: entry.calendar.day(of: expiresAt).spelledOut,
                link: link(InvitationController.path, [URLQueryItem(name: "token", value: token)]))
        }
    }

    /// Keeps the hash of the secret the email carries, through the write serializer (SQLite's one writer).
    private func keep(_ secret: String, _ kind: EmailedSecret, _ notification: Claimed, _ now: Date) async throws
        -> Date?
    {
        let id = notification.id
        return try await writes.transaction(on: db) { try await kind.keep(secret, for: id, at: now, on: $0.sql()) }
    }

    /// The sign-in page, which goes on to `path` once the person has signed in (or at once, if they are).
    private func signInLink(then path: String) -> URL {
        link("/sign-in", [URLQueryItem(name: "next", value: path)])
    }

    private func link(_ path: String, _ query: [URLQueryItem]) -> URL {
        var components = URLComponents(url: email.publicURL, resolvingAgainstBaseURL: false)!
        components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + path
        components.queryItems = query
        return components.url!
    }

    // MARK: Recording

    private func finish(
        _ notification: Claimed, _ status: NotificationStatus, at time: Date? = nil, messageID: String? = nil,
        failure: String? = nil
    ) async throws {
        try await record(
            notification,
            """
            status = \(bind: status.rawValue), sent_at = \(bind: time), smtp_message_id = \(bind: messageID), \
            failure = \(bind: failure)
            """)
    }

    private func retry(_ notification: Claimed, after wait: TimeInterval, because error: SMTPError) async throws {
        try await record(
            notification,
            "due_at = \(bind: clock.now().addingTimeInterval(wait)), failure = \(bind: error.description)")
    }

    /// Applies `changes` and lets go of the claim, if this server still holds it.
    private func record(_ notification: Claimed, _ changes: SQLQueryString) async throws {
        try await writes.transaction(on: db) { db in
            try await db.sql().raw(
                """
                UPDATE notifications SET \(changes), claim = NULL, claimed_until = NULL \
                WHERE id = \(bind: notification.id) AND claim = \(bind: notification.claim)
                """
            ).run()
        }
    }
}
