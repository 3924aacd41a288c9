import Foundation
import SQLKit

/// "Forgot password?" (docs/accounts.md). A request writes a reset and its email into the outbox, in one transaction;
/// the server that sends the email makes the link's secret then, so the secret is never stored, only its hash; the link
/// sets a new password once, within 30 minutes.
enum PasswordResets {
    static let lifetime: TimeInterval = 30 * 60
    /// Asking again this soon sends nothing more: the first email is on its way. Keeps the form from flooding a mailbox.
    static let quietPeriod: TimeInterval = 60
    /// At most this many accounts share an address and each get a link.
    static let accountsPerAddress = 5

    struct Account {
        let id: UUID
        let organizationID: UUID
    }

    /// The active accounts a "Forgot password?" entry names, that have an address to write to: the one with that
    /// username, or those with that email address.
    static func accounts(named entry: String, on sql: any SQLDatabase) async throws -> [Account] {
        let username = User.normalize(username: entry)
        return try await sql.raw(
            """
            SELECT id, organization_id FROM users WHERE users.deactivated_at IS NULL AND users.email IS NOT NULL \
            AND (users.username = \(bind: username) OR LOWER(users.email) = \(bind: username)) \
            ORDER BY users.created_at LIMIT \(literal: accountsPerAddress)
            """
        ).all().map {
            Account(
                id: try $0.decode(column: "id", as: UUID.self),
                organizationID: try $0.decode(column: "organization_id", as: UUID.self))
        }
    }

    /// Writes a reset and its email, unless one was asked for within `quietPeriod`. Answers whether it did.
    static func request(for account: Account, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let recent = try await sql.raw(
            """
            SELECT 1 AS recent FROM password_resets WHERE user_id = \(bind: account.id) \
            AND requested_at > \(bind: now.addingTimeInterval(-quietPeriod))
            """
        ).first()
        guard recent == nil else { return false }
        let notification = UUID()
        try await sql.raw(
            """
            INSERT INTO notifications (id, organization_id, user_id, kind, status, created_at, due_at, attempts) \
            VALUES (\(bind: notification), \(bind: account.organizationID), \(bind: account.id), \
            \(bind: NotificationKind.passwordReset.rawValue), \(bind: NotificationStatus.pending.rawValue), \
            \(bind: now), \(bind: now), 0)
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO password_resets (id, user_id, notification_id, requested_at, expires_at) \
            VALUES (\(bind: UUID()), \(bind: account.id), \(bind: notification), \(bind: now), \
            \(bind: now.addingTimeInterval(lifetime)))
            """
        ).run()
        return true
    }

    /// A reset's link, made when its email is sent: usable while unused and in time.
    static let link = EmailedSecret(table: "password_resets", hashColumn: "token_hash") {
        "used_at IS NULL AND expires_at > \(bind: $0)"
    }

    /// The username a link is for, while it is unused, in time, and its account active.
    static func username(for token: String, at now: Date, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw(
            """
            SELECT users.username FROM password_resets JOIN users ON users.id = password_resets.user_id \
            WHERE password_resets.token_hash = \(bind: SessionStore.hash(token)) AND \(link.stillOpen(now)) \
            AND users.deactivated_at IS NULL
            """
        ).first()?.decode(column: "username", as: String?.self)
    }

    /// Uses a link, in the caller's transaction: of two uses at once only one finds it unused. Every other link of
    /// that person ends with it. Answers whose account it was for.
    static func use(_ token: String, at now: Date, on sql: any SQLDatabase) async throws -> UUID? {
        guard
            let user = try await sql.raw(
                """
                UPDATE password_resets SET used_at = \(bind: now) \
                WHERE token_hash = \(bind: SessionStore.hash(token)) AND \(link.stillOpen(now)) \
                AND user_id IN (SELECT id FROM users WHERE deactivated_at IS NULL) RETURNING user_id
                """
            ).first()?.decode(column: "user_id", as: UUID.self)
        else { return nil }
        try await sql.raw(
            "UPDATE password_resets SET used_at = \(bind: now) WHERE user_id = \(bind: user) AND used_at IS NULL"
        ).run()
        return user
    }
}
