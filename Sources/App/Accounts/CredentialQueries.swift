import Domain
import Fluent
import Foundation
import SQLKit

/// The user behind a credential (a session or an API token) with their roles, in one query: it runs on every request.
/// A deactivated user's credentials find no one, even one that deactivation somehow missed.
enum CredentialLookup {
    /// One row per role of the user holding the credential.
    private struct Row: Decodable {
        let credentialId: UUID
        let userId: UUID
        let organizationId: UUID
        let name: String
        let title: String?
        let credentials: String?
        let role: String?
        let mustChangePassword: Bool
        let createdAt: Date?
        let lastSeenAt: Date?
        let secondFactor: String?
    }

    struct Found {
        /// The session's or the token's id.
        let credentialID: UUID
        let user: SignedInUser
        /// The session's start; nil for an API token.
        let createdAt: Date?
        /// The session's last activity, or the token's last use.
        let lastSeenAt: Date?
        /// The session's progress through two-step verification; nil for an API token.
        let secondFactor: TwoFactor.SessionStage?
    }

    static func session(hash: String, on db: any Database) async throws -> Found? {
        try await find(
            credential: "user_sessions",
            extra: """
                , user_sessions.created_at AS created_at, user_sessions.last_seen_at AS last_seen_at, \
                user_sessions.second_factor AS second_factor
                """,
            condition: "user_sessions.token_hash = \(bind: hash)", isSession: true, on: db)
    }

    /// A token not revoked and not expired at `now`; its `lastSeenAt` is when it was last used.
    static func apiToken(hash: String, at now: Date, on db: any Database) async throws -> Found? {
        try await find(
            credential: "api_tokens", extra: ", api_tokens.last_used_at AS last_seen_at",
            condition: """
                api_tokens.revoked_at IS NULL AND api_tokens.expires_at > \(bind: now) \
                AND api_tokens.token_hash = \(bind: hash)
                """,
            isSession: false, on: db)
    }

    private static func find(
        credential table: String, extra: String, condition: SQLQueryString, isSession: Bool, on db: any Database
    ) async throws -> Found? {
        let rows = try await db.sql().raw(
            """
            SELECT \(ident: table).id AS credential_id, users.id AS user_id, users.organization_id AS organization_id,
                users.name AS name, users.title AS title, users.credentials AS credentials,
                users.must_change_password AS must_change_password,
                CAST(user_roles.role AS TEXT) AS role\(unsafeRaw: extra)
            FROM \(ident: table) JOIN users ON users.id = \(ident: table).user_id
            LEFT JOIN user_roles ON user_roles.user_id = users.id
            WHERE users.deactivated_at IS NULL AND \(condition)
            """
        ).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
        guard let first = rows.first else { return nil }
        let stage = first.secondFactor.flatMap(TwoFactor.SessionStage.init(rawValue:))
        let user = SignedInUser(
            id: first.userId, organizationID: first.organizationId,
            displayName: PersonName(name: first.name, title: first.title, credentials: first.credentials).displayName,
            roles: Set(rows.compactMap { $0.role.flatMap(Role.init(rawValue:)) }),
            sessionID: isSession ? first.credentialId : nil, mustChangePassword: first.mustChangePassword,
            passedSecondFactor: stage == .passed)
        return Found(
            credentialID: first.credentialId, user: user, createdAt: first.createdAt, lastSeenAt: first.lastSeenAt,
            secondFactor: stage)
    }
}

/// Passwords a person sets themselves.
enum PasswordQueries {
    /// Keeps the person's own new password (in place of a temporary one, too) and bumps their version
    /// (administrators' pages show whether a new password is still to be chosen). Whoever knew the old password is
    /// out: every session but `session` (the one making the change) ends, and every API token is revoked.
    static func replace(
        of user: User.IDValue, hash: String, keepingSession session: UserSession.IDValue?, at date: Date,
        on db: any Database
    ) async throws {
        let sql = db.sql()
        try await sql.raw(
            """
            UPDATE users SET password_hash = \(bind: hash), must_change_password = \(bind: false),
                version = version + 1
            WHERE id = \(bind: user)
            """
        ).run()
        let others = UserSession.query(on: db).filter(\.$user.$id == user)
        if let session { others.filter(\.$id != session) }
        try await others.delete()
        try await sql.raw(
            "UPDATE api_tokens SET revoked_at = \(bind: date) WHERE user_id = \(bind: user) AND revoked_at IS NULL"
        ).run()
    }
}
