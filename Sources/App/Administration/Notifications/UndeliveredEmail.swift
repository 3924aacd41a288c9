import Fluent
import Foundation
import SQLKit
import Vapor

/// The organisation's email notifications as its administrator sees them: how many are waiting to be sent, and those
/// that could not be delivered (an address the mail server refused, or a day of failed tries) with the server's
/// reason, newest first; and "Send again" for one of those once the address is put right. Never anything about the
/// message a notification was for: not its conversation, not who wrote it.
struct UndeliveredEmail {
    let context: AdminContext

    static let pageSize = 25

    func overview(page: Int, limit: Int = pageSize, emailEnabled: Bool) async throws -> AdminNotificationsResponse {
        let sql = context.db.sql()
        let organization = context.organizationID
        let waiting = try await sql.raw(
            """
            SELECT COUNT(*) AS waiting, MIN(created_at) AS oldest FROM notifications \
            WHERE organization_id = \(bind: organization) AND status = \(bind: NotificationStatus.pending.rawValue)
            """
        ).first()
        let rows = try await sql.raw(
            """
            SELECT \(unsafeRaw: Self.columns) FROM notifications JOIN users ON users.id = notifications.user_id \
            WHERE notifications.organization_id = \(bind: organization) \
            AND notifications.status = \(bind: NotificationStatus.failed.rawValue) \
            ORDER BY notifications.created_at DESC, notifications.id DESC \
            LIMIT \(bind: limit + 1) OFFSET \(bind: (page - 1) * limit)
            """
        ).all()
        let items = try rows.prefix(limit).map(Self.notification)
        return AdminNotificationsResponse(
            emailEnabled: emailEnabled, waiting: try waiting?.decode(column: "waiting", as: Int.self) ?? 0,
            oldestWaitingSince: try waiting?.decode(column: "oldest", as: Date?.self), undelivered: items,
            page: page, nextPage: rows.count > limit ? page + 1 : nil)
    }

    /// Puts an undelivered notification back in the outbox, due now, with a fresh day of tries. Another
    /// organisation's is not found; one that is no longer undelivered (sent again already) is a 409.
    func sendAgain(_ id: UUID) async throws -> AdminUndeliveredNotification {
        let context = context
        return try await context.change { db in
            let sql = db.sql()
            let now = context.actor.now
            let updated = try await sql.raw(
                """
                UPDATE notifications SET status = \(bind: NotificationStatus.pending.rawValue), \
                due_at = \(bind: now), created_at = \(bind: now), attempts = 0, failure = NULL, claim = NULL, \
                claimed_until = NULL \
                WHERE id = \(bind: id) AND organization_id = \(bind: context.organizationID) \
                AND status = \(bind: NotificationStatus.failed.rawValue) RETURNING id
                """
            ).all()
            guard let row = try await Self.find(id, organizationID: context.organizationID, on: sql) else {
                throw AdministrationError.notFound
            }
            guard !updated.isEmpty else { throw AdministrationError.notUndelivered }
            try await context.actor.audit(
                "admin.notification.send_again", "notification", id,
                change: AuditChange(
                    before: ["status": NotificationStatus.failed.rawValue],
                    after: ["status": NotificationStatus.pending.rawValue]),
                on: db)
            return row
        }
    }

    private static func find(_ id: UUID, organizationID: UUID, on sql: any SQLDatabase) async throws
        -> AdminUndeliveredNotification?
    {
        try await sql.raw(
            """
            SELECT \(unsafeRaw: columns) FROM notifications JOIN users ON users.id = notifications.user_id \
            WHERE notifications.id = \(bind: id) AND notifications.organization_id = \(bind: organizationID)
            """
        ).first().map(notification)
    }

    private static let columns = """
        notifications.id, notifications.kind, notifications.status, notifications.created_at, notifications.attempts, \
        notifications.failure, users.id AS user_id, users.name, users.username, users.email
        """

    private static func notification(_ row: any SQLRow) throws -> AdminUndeliveredNotification {
        AdminUndeliveredNotification(
            id: try row.decode(column: "id", as: UUID.self),
            person: AdminNotificationPerson(
                id: try row.decode(column: "user_id", as: UUID.self),
                name: try row.decode(column: "name", as: String.self),
                username: try row.decode(column: "username", as: String?.self)),
            address: try row.decode(column: "email", as: String?.self),
            kind: try row.decode(column: "kind", as: String.self),
            status: try row.decode(column: "status", as: String.self),
            writtenAt: try row.decode(column: "created_at", as: Date.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            failure: try row.decode(column: "failure", as: String?.self))
    }
}

extension AdministrationError {
    static let notUndelivered = AdministrationError(
        .conflict, "not_undelivered", "This email is no longer undelivered: it has been sent again already.")
}

/// The person an undelivered email was for, so the administrator can open them and put their address right.
struct AdminNotificationPerson: Content, Equatable {
    let id: UUID
    let name: String
    let username: String?
}

/// One email notification, as its administrator sees it.
struct AdminUndeliveredNotification: Content, Equatable {
    let id: UUID
    let person: AdminNotificationPerson
    /// The person's address now (it may have been changed since the failure).
    let address: String?
    /// `new_message` or `daily_summary`.
    let kind: String
    /// `failed`, or `pending` once sent again.
    let status: String
    /// When the notification was written (or last sent again).
    let writtenAt: Date
    let attempts: Int
    /// What the mail server (or the connection to it) said last.
    let failure: String?
}

/// The outbox at a glance and one page of undelivered emails, newest first.
struct AdminNotificationsResponse: Content {
    /// Whether this server sends email at all (`CAREBOX_SMTP_URL`).
    let emailEnabled: Bool
    /// Notifications not sent yet: due, or waiting to be tried again.
    let waiting: Int
    let oldestWaitingSince: Date?
    let undelivered: [AdminUndeliveredNotification]
    let page: Int
    let nextPage: Int?
}
