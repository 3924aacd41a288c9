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
    }

    struct Found {
        let user: SignedInUser
        /// The session's start and last activity; nil for an API token.
        let createdAt: Date?
        let lastSeenAt: Date?
    }

    static func session(hash: String, on db: any Database) async throws -> Found? {
        try await find(
            credential: "user_sessions",
            extra: ", user_sessions.created_at AS created_at, user_sessions.last_seen_at AS last_seen_at",
            condition: "user_sessions.token_hash = ", hash: hash, isSession: true, on: db)
    }

    static func apiToken(hash: String, on db: any Database) async throws -> Found? {
        try await find(
            credential: "api_tokens", extra: "",
            condition: "api_tokens.revoked_at IS NULL AND api_tokens.token_hash = ", hash: hash, isSession: false,
            on: db)
    }

    private static func find(
        credential table: String, extra: String, condition: String, hash: String, isSession: Bool, on db: any Database
    ) async throws -> Found? {
        let rows = try await db.sql().raw(
            """
            SELECT \(ident: table).id AS credential_id, users.id AS user_id, users.organization_id AS organization_id,
                users.name AS name, users.title AS title, users.credentials AS credentials,
                users.must_change_password AS must_change_password,
                CAST(user_roles.role AS TEXT) AS role\(unsafeRaw: extra)
            FROM \(ident: table) JOIN users ON users.id = \(ident: table).user_id
            LEFT JOIN user_roles ON user_roles.user_id = users.id
            WHERE users.deactivated_at IS NULL AND \(unsafeRaw: condition)\(bind: hash)
            """
        ).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
        guard let first = rows.first else { return nil }
        let user = SignedInUser(
            id: first.userId, organizationID: first.organizationId,
            displayName: PersonName(name: first.name, title: first.title, credentials: first.credentials).displayName,
            roles: Set(rows.compactMap { $0.role.flatMap(Role.init(rawValue:)) }),
            sessionID: isSession ? first.credentialId : nil, mustChangePassword: first.mustChangePassword)
        return Found(user: user, createdAt: first.createdAt, lastSeenAt: first.lastSeenAt)
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
