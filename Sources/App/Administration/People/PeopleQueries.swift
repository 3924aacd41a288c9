import Domain
import Fluent
import Foundation
import SQLKit

/// Every SQL statement of people administration, each scoped to one organisation.
struct PeopleQueries {
    let db: any Database
    let organizationID: UUID

    struct Search: Sendable, Equatable {
        /// Part of a name or username, any case.
        var text: String?
        /// `YYYY-MM-DD`, exactly.
        var born: String?
        var role: Role?
    }

    /// One page of people matching `search`, by name then id so pages never overlap; one more than `limit` tells
    /// whether a next page exists.
    func search(_ search: Search, offset: Int, limit: Int) async throws -> [User] {
        var conditions: SQLQueryString = "users.organization_id = \(bind: organizationID)"
        if let text = search.text?.lowercased(), !text.isEmpty {
            let pattern =
                "%"
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions =
                "\(conditions) AND (LOWER(users.name) LIKE \(bind: pattern) ESCAPE '\\' OR users.username LIKE \(bind: pattern) ESCAPE '\\')"
        }
        if let born = search.born {
            conditions = "\(conditions) AND users.birth_date = \(bind: born)"
        }
        if let role = search.role {
            conditions =
                "\(conditions) AND EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = users.id AND user_roles.role = \(bind: role.rawValue))"
        }
        return try await db.models(
            User.self,
            "SELECT users.* FROM users WHERE \(conditions) ORDER BY users.name, users.id LIMIT \(bind: limit) OFFSET \(bind: offset)"
        )
    }

    /// A person of this organisation, or nil (another organisation's is nil too).
    func person(_ id: UUID) async throws -> User? {
        try await User.query(on: db).filter(\.$id == id).filter(\.$organization.$id == organizationID).first()
    }

    func roles(of ids: [UUID]) async throws -> [UUID: Set<Role>] {
        guard !ids.isEmpty else { return [:] }
        let grants = try await UserRole.query(on: db).filter(\.$user.$id ~~ ids).all()
        return Dictionary(grouping: grants, by: { $0.$user.id }).mapValues { Set($0.map(\.role)) }
    }

    func roles(of id: UUID) async throws -> Set<Role> {
        try await roles(of: [id])[id] ?? []
    }

    /// Whether anyone at all (in any organisation) has the username, other than `except`.
    func usernameTaken(_ username: String, except: UUID?) async throws -> Bool {
        let query = User.query(on: db).filter(\.$username == username)
        if let except { query.filter(\.$id != except) }
        return try await query.first() != nil
    }

    /// Whether someone else in the organisation has the record number.
    func recordNumberTaken(_ number: String, except: UUID?) async throws -> Bool {
        let query = User.query(on: db).filter(\.$organization.$id == organizationID).filter(\.$recordNumber == number)
        if let except { query.filter(\.$id != except) }
        return try await query.first() != nil
    }

    /// Writes a person's fields if they are still at `version`, bumping it. False when someone changed them first.
    func update(_ id: UUID, version: Int, to fields: PersonFields) async throws -> Bool {
        try await !db.sql().raw(
            """
            UPDATE users SET name = \(bind: fields.name), title = \(bind: fields.title),
                credentials = \(bind: fields.credentials), specialty = \(bind: fields.specialty),
                birth_date = \(bind: fields.birthDate), record_number = \(bind: fields.recordNumber),
                email = \(bind: fields.email), username = \(bind: fields.username), version = version + 1
            WHERE id = \(bind: id) AND organization_id = \(bind: organizationID) AND version = \(bind: version)
            RETURNING id
            """
        ).all().isEmpty
    }

    /// Sets or clears `deactivated_at` if the person is still at `version`, bumping it.
    func setDeactivated(_ id: UUID, at date: Date?, version: Int) async throws -> Bool {
        try await !db.sql().raw(
            """
            UPDATE users SET deactivated_at = \(bind: date), version = version + 1
            WHERE id = \(bind: id) AND organization_id = \(bind: organizationID) AND version = \(bind: version)
            RETURNING id
            """
        ).all().isEmpty
    }

    /// Sets a temporary password's hash and `must_change_password` if the person is still at `version`.
    func setTemporaryPassword(_ id: UUID, hash: String, version: Int) async throws -> Bool {
        try await !db.sql().raw(
            """
            UPDATE users SET password_hash = \(bind: hash), must_change_password = \(bind: true),
                version = version + 1
            WHERE id = \(bind: id) AND organization_id = \(bind: organizationID) AND version = \(bind: version)
            RETURNING id
            """
        ).all().isEmpty
    }

    /// Bumps a person's version without changing their fields: a role given as a side effect (a proxy grant).
    func bumpVersion(_ id: UUID) async throws {
        try await db.sql().raw(
            "UPDATE users SET version = version + 1 WHERE id = \(bind: id) AND organization_id = \(bind: organizationID)"
        ).run()
    }

    /// Bumps a person's version if it is still `version`: a change to something beside their fields (two-step
    /// verification reset) that an administrator's page must not overwrite unseen.
    func bumpVersion(_ id: UUID, from version: Int) async throws -> Bool {
        try await !db.sql().raw(
            """
            UPDATE users SET version = version + 1
            WHERE id = \(bind: id) AND organization_id = \(bind: organizationID) AND version = \(bind: version)
            RETURNING id
            """
        ).all().isEmpty
    }

    func replaceRoles(of id: UUID, with roles: Set<Role>) async throws {
        try await UserRole.query(on: db).filter(\.$user.$id == id).delete()
        for role in Role.allCases where roles.contains(role) {
            try await UserRole(userID: id, role: role).create(on: db)
        }
    }

    /// Ends everything that signs the person in, at once: their sessions and their API tokens.
    func endCredentials(of id: UUID, at date: Date) async throws {
        try await UserSession.query(on: db).filter(\.$user.$id == id).delete()
        try await db.sql().raw(
            "UPDATE api_tokens SET revoked_at = \(bind: date) WHERE user_id = \(bind: id) AND revoked_at IS NULL"
        ).run()
    }

    /// The organisation's active providers, by name: those a patient can be given a care relationship with.
    func activeProviders() async throws -> [User] {
        try await db.models(
            User.self,
            """
            SELECT users.* FROM users
            WHERE users.organization_id = \(bind: organizationID) AND users.deactivated_at IS NULL
                AND EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = users.id AND user_roles.role = 'provider')
            ORDER BY users.name, users.id
            """)
    }
}
