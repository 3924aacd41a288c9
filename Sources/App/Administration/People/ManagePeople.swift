import Domain
import Fluent
import Foundation
import Vapor

/// Finding, creating and changing the organisation's people; deactivating and reactivating them; setting a temporary
/// password. The web pages and the API call the same methods. Every change is conditional on the version the
/// administrator saw, and audited with before and after in the same transaction.
struct ManagePeople {
    let db: any Database
    let writes: WriteSerializer
    let actor: AdminActor
    let today: CalendarDate
    let hasher: AsyncPasswordHasher

    static let pageSize = 25

    var queries: PeopleQueries { PeopleQueries(db: db, organizationID: actor.organizationID) }

    // MARK: Reading

    func search(_ search: PeopleQueries.Search, page: Int, limit: Int = pageSize) async throws
        -> AdminPeoplePageResponse
    {
        let users = try await queries.search(search, offset: (page - 1) * limit, limit: limit + 1)
        let shown = Array(users.prefix(limit))
        let roles = try await queries.roles(of: shown.compactMap(\.id))
        return AdminPeoplePageResponse(
            items: shown.map { AdminPersonResponse($0, roles: roles[$0.id!] ?? []) }, page: page,
            nextPage: users.count > limit ? page + 1 : nil)
    }

    func person(_ id: UUID) async throws -> AdminPersonResponse {
        guard let user = try await queries.person(id) else { throw AdministrationError.notFound }
        return AdminPersonResponse(user, roles: try await queries.roles(of: id))
    }

    func activeProviders() async throws -> [PersonResponse] {
        try await queries.activeProviders().map { PersonResponse(id: $0.id!, name: $0.personName.displayName) }
    }

    // MARK: Changing

    /// Every problem with `fields`, the username's and record number's uniqueness included, for a form to show beside
    /// each field.
    func problems(with fields: PersonFields, person: UUID?) async throws -> [String: String] {
        var problems = fields.problems(today: today)
        if problems["username"] == nil, let username = fields.username,
            try await queries.usernameTaken(username, except: person)
        {
            problems["username"] = NewCredentials.usernameTaken
        }
        if problems["recordNumber"] == nil, let number = fields.recordNumber,
            try await queries.recordNumberTaken(number, except: person)
        {
            problems["recordNumber"] = PersonFields.recordNumberTaken
        }
        return problems
    }

    private func check(_ fields: PersonFields, person: UUID?) async throws {
        let problems = try await problems(with: fields, person: person)
        if let field = PersonFields.order.first(where: { problems[$0] != nil }) {
            throw AdministrationError.invalid(field, problems[field]!)
        }
    }

    func create(_ fields: PersonFields) async throws -> AdminPersonResponse {
        try await check(fields, person: nil)
        let (actor, organizationID) = (actor, actor.organizationID)
        let id = UUID()
        try await refusingTaken(fields, person: nil) {
            try await writes.transaction(on: db) { db in
                let user = User(
                    organizationID: organizationID, username: fields.username, name: fields.name, title: fields.title,
                    credentials: fields.credentials, specialty: fields.specialty, birthDate: fields.birthDate)
                user.recordNumber = fields.recordNumber
                user.email = fields.email
                user.id = id
                try await user.create(on: db)
                try await PeopleQueries(db: db, organizationID: organizationID).replaceRoles(of: id, with: fields.roles)
                try await actor.audit(
                    "admin.person.create", "user", id, change: AuditChange(before: nil, after: fields.auditValues),
                    on: db)
            }
        }
        return try await person(id)
    }

    /// Changes what `change` sets, if the person is still at `version`. An administrator cannot take away their own
    /// admin role: the organisation could be left with no one to run it.
    func update(_ id: UUID, version: Int, _ change: (inout PersonFields) -> Void) async throws -> AdminPersonResponse {
        guard let user = try await queries.person(id) else { throw AdministrationError.notFound }
        let old = PersonFields(user, roles: try await queries.roles(of: id))
        var draft = old
        change(&draft)
        let new = PersonFields(
            name: draft.name, title: draft.title, credentials: draft.credentials, specialty: draft.specialty,
            birthDate: draft.birthDate, recordNumber: draft.recordNumber, email: draft.email, username: draft.username,
            roles: draft.roles)
        guard user.version == version else { throw AdministrationError.versionConflict }
        if id == actor.userID && !new.roles.contains(.admin) {
            throw AdministrationError.invalid("roles", "You cannot remove your own administrator role.")
        }
        try await check(new, person: id)
        let (actor, organizationID) = (actor, actor.organizationID)
        let audit = Self.change(from: old, to: new)
        try await refusingTaken(new, person: id) {
            try await writes.transaction(on: db) { db in
                let queries = PeopleQueries(db: db, organizationID: organizationID)
                guard try await queries.update(id, version: version, to: new) else {
                    throw AdministrationError.versionConflict
                }
                if new.roles != old.roles { try await queries.replaceRoles(of: id, with: new.roles) }
                try await actor.audit("admin.person.update", "user", id, change: audit, on: db)
            }
        }
        return try await person(id)
    }

    /// A username or record number taken by someone else between the check and the write breaks a unique index:
    /// refused like any taken one, not a 500.
    private func refusingTaken(
        _ fields: PersonFields, person: UUID?, _ write: () async throws -> Void
    ) async throws {
        do {
            try await write()
        } catch let error as any DatabaseError where error.isConstraintFailure {
            let problems = try await problems(with: fields, person: person)
            if problems["recordNumber"] != nil {
                throw AdministrationError.invalid("recordNumber", PersonFields.recordNumberTaken)
            }
            throw AdministrationError.invalid("username", NewCredentials.usernameTaken)
        }
    }

    /// The fields that changed, names and dates of birth as markers only.
    static func change(from old: PersonFields, to new: PersonFields) -> AuditChange {
        let (oldValues, newValues) = (old.auditValues, new.auditValues)
        var before: [String: String] = [:]
        var after: [String: String] = [:]
        for key in Set(oldValues.keys).union(newValues.keys) where oldValues[key] != newValues[key] {
            before[key] = oldValues[key] ?? ""
            after[key] = newValues[key] ?? ""
        }
        if old.name != new.name {
            before["name"] = "earlier value"
            after["name"] = "changed"
        }
        for (field, was, now) in [
            ("birthDate", old.birthDate, new.birthDate), ("recordNumber", old.recordNumber, new.recordNumber),
            ("email", old.email, new.email),
        ] where was != nil && now != nil && was != now {
            before[field] = "earlier value"
            after[field] = "changed"
        }
        return AuditChange(before: before, after: after)
    }

    /// Deactivates the person: from this moment they cannot sign in, their sessions are over and their API tokens
    /// revoked, and as a provider they are offered to no one.
    func deactivate(_ id: UUID, version: Int) async throws -> AdminPersonResponse {
        guard id != actor.userID else {
            throw AdministrationError(
                .unprocessableEntity, "cannot_deactivate_yourself", "You cannot deactivate your own account.",
                field: "id")
        }
        try await setActive(false, id, version: version)
        return try await person(id)
    }

    func reactivate(_ id: UUID, version: Int) async throws -> AdminPersonResponse {
        try await setActive(true, id, version: version)
        return try await person(id)
    }

    private func setActive(_ active: Bool, _ id: UUID, version: Int) async throws {
        guard let user = try await queries.person(id) else { throw AdministrationError.notFound }
        guard user.version == version else { throw AdministrationError.versionConflict }
        guard (user.deactivatedAt == nil) != active else {
            throw AdministrationError(
                .unprocessableEntity, active ? "already_active" : "already_deactivated",
                active ? "This account is already active." : "This account is already deactivated.", field: "id")
        }
        let (actor, organizationID) = (actor, actor.organizationID)
        try await writes.transaction(on: db) { db in
            let queries = PeopleQueries(db: db, organizationID: organizationID)
            guard try await queries.setDeactivated(id, at: active ? nil : actor.now, version: version) else {
                throw AdministrationError.versionConflict
            }
            if !active { try await queries.endCredentials(of: id, at: actor.now) }
            try await actor.audit(
                active ? "admin.person.reactivate" : "admin.person.deactivate", "user", id,
                change: AuditChange(
                    before: ["active": active ? "false" : "true"], after: ["active": active ? "true" : "false"]),
                on: db)
        }
    }

    /// Sets a new temporary password, returned once and kept only as a hash; the person must choose their own at
    /// the next sign-in. Their sessions end, so whoever was using the old password is signed out.
    func temporaryPassword(_ id: UUID, version: Int) async throws -> AdminTemporaryPasswordResponse {
        // Your own would sign you out and lock you out of everything but Choose a New Password, mid-task.
        guard id != actor.userID else {
            throw AdministrationError(
                .unprocessableEntity, "cannot_reset_yourself",
                "You cannot set a temporary password for yourself: another administrator can.", field: "id")
        }
        guard let user = try await queries.person(id) else { throw AdministrationError.notFound }
        guard user.version == version else { throw AdministrationError.versionConflict }
        guard user.username != nil else {
            throw AdministrationError(
                .unprocessableEntity, "no_username",
                "Give this person a username first: without one they cannot sign in.",
                field: "username")
        }
        let password = Self.generatePassword()
        let hash = try await hasher.hash(password)
        let (actor, organizationID, wasRequired) = (actor, actor.organizationID, user.mustChangePassword)
        try await writes.transaction(on: db) { db in
            let queries = PeopleQueries(db: db, organizationID: organizationID)
            guard try await queries.setTemporaryPassword(id, hash: hash, version: version) else {
                throw AdministrationError.versionConflict
            }
            try await UserSession.query(on: db).filter(\.$user.$id == id).delete()
            try await actor.audit(
                "admin.person.temporary_password", "user", id,
                change: AuditChange(
                    before: ["mustChangePassword": String(wasRequired), "password": "earlier value"],
                    after: ["mustChangePassword": "true", "password": "temporary, set"]),
                on: db)
        }
        return AdminTemporaryPasswordResponse(person: try await person(id), temporaryPassword: password)
    }

    /// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I), in groups of four for reading aloud:
    /// about 80 bits.
    static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }
}
