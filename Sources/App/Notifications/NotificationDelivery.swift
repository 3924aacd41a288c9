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
            let address = try await stillWanted(notification, organization: organization, now: now),
            let message = compose(notification, organization.settings, to: address)
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

    /// The address to write to, when the person still wants this notification and may still see what it is about.
    private func stillWanted(_ notification: Claimed, organization: OrganizationCache.Entry, now: Date) async throws
        -> String?
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
        case (.passwordChanged, _):
            condition = "1 = 1"  // a security notice: to whoever has an address, whatever they chose for messages
        case (.newMessage, nil):
            return nil
        }
        return try await db.sql().raw(
            """
            SELECT users.email FROM users WHERE users.id = \(bind: notification.userID) \
            AND users.email IS NOT NULL AND users.deactivated_at IS NULL AND \(condition)
            """
        ).first()?.decode(column: "email", as: String.self)
    }

    private func compose(_ notification: Claimed, _ organization: OrganizationSettings, to address: String)
        -> SMTPMessage?
    {
        let content: NotificationEmail
        switch notification.kind {
        case .newMessage:
            guard let conversation = notification.conversationID else { return nil }
            content = .newMessage(from: organization, link: link("/messages/\(conversation.uuidString.lowercased())"))
        case .dailySummary:
            if let open = notification.openCount {
                content = .careTeamSummary(
                    from: organization, open: open, overdue: notification.overdueCount ?? 0, link: link("/in-basket"))
            } else {
                content = .unreadSummary(from: organization, link: link("/messages"))
            }
        case .passwordChanged:
            content = .passwordChanged(from: organization, link: link(PasswordController.changePath))
        }
        do {
            return try SMTPMessage(
                from: SMTPAddress(organization.notificationFrom ?? email.from, displayName: organization.name),
                to: SMTPAddress(address), subject: content.subject, body: content.body)
        } catch {
            return nil
        }
    }

    /// The sign-in page, which goes on to `path` once the person has signed in (or at once, if they are).
    private func link(_ path: String) -> URL {
        var components = URLComponents(url: email.publicURL, resolvingAgainstBaseURL: false)!
        components.path =
            (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path)
            + "/sign-in"
        components.queryItems = [URLQueryItem(name: "next", value: path)]
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
