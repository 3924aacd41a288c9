import Foundation
import SQLKit

/// A secret an email carries (a reset link, an activation code, an invitation link), made by the server that sends the
/// email, when it sends it, so it is never stored: only its hash, on the row the email is about. A send tried again
/// makes a new one, and the secret of an email that may have gone out before stops working.
struct EmailedSecret {
    /// The table of the rows emails are about, each with the `notification_id` of its email.
    let table: String
    /// The column that keeps the hash.
    let hashColumn: String
    /// When a row can still be used, in its own columns; an email whose row cannot is not sent.
    let stillOpen: @Sendable (Date) -> SQLQueryString

    /// Whether the row of `notification` can still be used, as a condition on the email's recipient.
    func isOpen(for notification: UUID, at now: Date) -> SQLQueryString {
        """
        EXISTS (SELECT 1 FROM \(ident: table) WHERE notification_id = \(bind: notification) \
        AND \(stillOpen(now)))
        """
    }

    /// Keeps the hash of `secret` on the row of `notification` while it can still be used; answers the row's
    /// `expires_at`, or nil when it can no longer be used.
    func keep(_ secret: String, for notification: UUID, at now: Date, on sql: any SQLDatabase) async throws -> Date? {
        try await sql.raw(
            """
            UPDATE \(ident: table) SET \(ident: hashColumn) = \(bind: SessionStore.hash(secret)) \
            WHERE notification_id = \(bind: notification) AND \(stillOpen(now)) RETURNING expires_at
            """
        ).first()?.decode(column: "expires_at", as: Date.self)
    }
}
