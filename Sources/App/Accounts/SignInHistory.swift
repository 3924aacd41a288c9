import Domain
import Foundation
import SQLKit

/// The sign-ins a person sees on their Security page, and the notice of a sign-in from a browser new to the account.
/// Statements run in the sign-in's own transaction.
enum SignInHistory {
    /// How many the Security page lists, newest first.
    static let shown = 20

    struct Entry {
        let at: Date
        let address: String
        let browser: String
        let newDevice: Bool
        /// False: the password was right but the code after it was never given.
        let completed: Bool
        let sessionHash: String
    }

    /// Records a sign-in whose password was right. With a code still to come, it is completed by `completed`. From a
    /// browser new to the account, and for someone who has signed in before, it also writes a security notice into
    /// the outbox when `notify` (email is on).
    static func record(
        _ user: UUID, organization: UUID, sessionToken: String, address: String, userAgent: String?,
        newDevice: Bool, awaitingCode: Bool, notify: Bool, at now: Date, on sql: any SQLDatabase
    ) async throws {
        if newDevice && notify {
            try await sql.raw(
                """
                INSERT INTO notifications (id, organization_id, user_id, kind, status, created_at, due_at, attempts) \
                SELECT \(bind: UUID()), \(bind: organization), users.id, \(bind: NotificationKind.newSignIn.rawValue), \
                \(bind: NotificationStatus.pending.rawValue), \(bind: now), \(bind: now), 0 FROM users \
                WHERE users.id = \(bind: user) AND users.email IS NOT NULL \
                AND EXISTS (SELECT 1 FROM sign_ins WHERE sign_ins.user_id = \(bind: user))
                """
            ).run()
        }
        try await sql.raw(
            """
            INSERT INTO sign_ins (id, user_id, session_hash, signed_in_at, address, browser, new_device, completed) \
            VALUES (\(bind: UUID()), \(bind: user), \(bind: SessionStore.hash(sessionToken)), \(bind: now), \
            \(bind: address), \(bind: BrowserDescription.describe(userAgent)), \(bind: newDevice), \(bind: !awaitingCode))
            """
        ).run()
    }

    /// The code after the password was given in the session of `sessionHash`.
    static func completed(sessionHash: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE sign_ins SET completed = \(bind: true) WHERE session_hash = \(bind: sessionHash)")
            .run()
    }

    static func recent(of user: UUID, on sql: any SQLDatabase) async throws -> [Entry] {
        try await sql.raw(
            """
            SELECT signed_in_at, address, browser, new_device, completed, session_hash FROM sign_ins \
            WHERE user_id = \(bind: user) ORDER BY signed_in_at DESC, id LIMIT \(literal: shown)
            """
        ).all().map {
            Entry(
                at: try $0.decode(column: "signed_in_at", as: Date.self),
                address: try $0.decode(column: "address", as: String.self),
                browser: try $0.decode(column: "browser", as: String.self),
                newDevice: try $0.decode(column: "new_device", as: Bool.self),
                completed: try $0.decode(column: "completed", as: Bool.self),
                sessionHash: try $0.decode(column: "session_hash", as: String.self))
        }
    }
}
