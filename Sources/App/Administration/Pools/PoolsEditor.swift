import Domain
import Fluent
import Vapor

/// The organisation's pools: create, rename, retire and restore, and their members. A retired pool keeps its
/// conversations and members but is offered to no one (see `MessageTypeSettings`).
struct PoolsEditor {
    let context: AdminContext

    static let nameLength = 100

    func list() async throws -> [AdminPoolResponse] {
        let pools = try await Pool.query(on: context.db).filter(\.$organization.$id == context.organizationID)
            .sort(\.$name).all()
        return try await describe(pools)
    }

    func get(_ id: UUID) async throws -> AdminPoolResponse {
        try await describe([try await findPool(id, on: context.db)])[0]
    }

    /// Providers and staff of the organisation who are not members of `pool`, by name: who may be added.
    func candidates(for pool: UUID) async throws -> [AdminPoolMemberResponse] {
        let members = Set(try await PoolMember.query(on: context.db).filter(\.$pool.$id == pool).all(\.$user.$id))
        return try await careTeam().filter { !members.contains($0.id) }
    }

    func create(_ input: AdminPoolInput) async throws -> AdminPoolResponse {
        let name = try AdminText.clean(input.name, field: "name", label: "a name", max: Self.nameLength)
        let context = context
        let id = try await context.change { db in
            try await Self.refuseTaken(name, except: nil, organizationID: context.organizationID, on: db)
            let pool = Pool(organizationID: context.organizationID, name: name)
            try await pool.create(on: db)
            try await context.actor.audit(
                "admin.pool.create", "pool", pool.id, change: AuditChange(before: nil, after: Self.values(pool)),
                on: db)
            return try pool.requireID()
        }
        return try await get(id)
    }

    func rename(_ id: UUID, _ input: AdminPoolInput, version: Int) async throws -> AdminPoolResponse {
        _ = try await findPool(id, on: context.db)
        let name = try AdminText.clean(input.name, field: "name", label: "a name", max: Self.nameLength)
        try await edit(id, version: version, action: "admin.pool.rename") { pool, db in
            try await Self.refuseTaken(name, except: id, organizationID: context.organizationID, on: db)
            pool.name = name
        }
        return try await get(id)
    }

    func setRetired(_ id: UUID, _ retired: Bool, version: Int) async throws -> AdminPoolResponse {
        let now = context.actor.now
        try await edit(id, version: version, action: retired ? "admin.pool.retire" : "admin.pool.restore") { pool, _ in
            pool.retiredAt = retired ? (pool.retiredAt ?? now) : nil
        }
        return try await get(id)
    }

    /// Adds a provider or staff member of the organisation.
    func addMember(_ id: UUID, _ input: AdminPoolMemberInput) async throws -> AdminPoolResponse {
        // Another organisation's pool is not found, whatever the body says.
        _ = try await findPool(id, on: context.db)
        guard let userID = input.userId,
            let member = try await careTeam().first(where: { $0.id == userID })
        else {
            throw AdministrationError.invalid("userId", "Choose a provider or staff member of your organization.")
        }
        let context = context
        try await context.change { db in
            let pool = try await findPool(id, on: db)
            if try await PoolMember.query(on: db).filter(\.$pool.$id == id).filter(\.$user.$id == userID).first()
                != nil
            {
                throw AdministrationError.invalid("userId", "\(member.name) is already a member.")
            }
            let row = PoolMember()
            row.$pool.id = id
            row.$user.id = userID
            try await row.create(on: db)
            try await AdminContext.bumpVersion(
                of: Pool.schema, id: id, organizationID: context.organizationID, from: pool.version, on: db)
            try await context.actor.audit(
                "admin.pool.member.add", "pool", id,
                change: AuditChange(before: nil, after: ["pool": id.uuidString, "member": userID.uuidString]), on: db)
        }
        return try await get(id)
    }

    func removeMember(_ id: UUID, user userID: UUID) async throws -> AdminPoolResponse {
        let context = context
        try await context.change { db in
            let pool = try await findPool(id, on: db)
            guard
                let row = try await PoolMember.query(on: db).filter(\.$pool.$id == id).filter(\.$user.$id == userID)
                    .first()
            else { throw AdministrationError.notFound }
            try await row.delete(on: db)
            try await AdminContext.bumpVersion(
                of: Pool.schema, id: id, organizationID: context.organizationID, from: pool.version, on: db)
            try await context.actor.audit(
                "admin.pool.member.remove", "pool", id,
                change: AuditChange(before: ["pool": id.uuidString, "member": userID.uuidString], after: nil), on: db)
        }
        return try await get(id)
    }

    // MARK: Helpers

    private func edit(
        _ id: UUID, version: Int, action: String,
        _ change: @escaping @Sendable (Pool, any Database) async throws -> Void
    ) async throws {
        let context = context
        try await context.change { db in
            let pool = try await findPool(id, on: db)
            guard pool.version == version else { throw AdministrationError.versionConflict }
            let before = Self.values(pool)
            try await change(pool, db)
            try await AdminContext.bumpVersion(
                of: Pool.schema, id: id, organizationID: context.organizationID, from: version, on: db)
            pool.version = version + 1
            try await pool.save(on: db)
            try await context.actor.audit(
                action, "pool", id, change: AuditChange(before: before, after: Self.values(pool)), on: db)
        }
    }

    /// One of the organisation's pools; another organisation's answers 404.
    func findPool(_ id: UUID, on db: any Database) async throws -> Pool {
        guard
            let pool = try await Pool.query(on: db).filter(\.$id == id)
                .filter(\.$organization.$id == context.organizationID).first()
        else { throw AdministrationError.notFound }
        return pool
    }

    private static func refuseTaken(_ name: String, except id: UUID?, organizationID: UUID, on db: any Database)
        async throws
    {
        let pools = try await Pool.query(on: db).filter(\.$organization.$id == organizationID).all()
        if pools.contains(where: { $0.id != id && $0.name.lowercased() == name.lowercased() }) {
            throw AdministrationError.invalid("name", "There is already a pool named \(name).")
        }
    }

    static func values(_ pool: Pool) -> [String: String] {
        ["name": pool.name, "retired": String(pool.retiredAt != nil)]
    }

    /// The organisation's active providers and staff, by name.
    private func careTeam() async throws -> [AdminPoolMemberResponse] {
        let users = try await User.query(on: context.db).filter(\.$organization.$id == context.organizationID)
            .filter(\.$deactivatedAt == nil).with(\.$roleGrants).sort(\.$name).all()
        return users.compactMap { user in
            let roles = user.roleGrants.map(\.role).filter { $0 == .provider || $0 == .staff }
            guard !roles.isEmpty else { return nil }
            return AdminPoolMemberResponse(
                id: user.id!, name: user.personName.displayName, roles: roles.map(\.rawValue).sorted())
        }
    }

    private func describe(_ pools: [Pool]) async throws -> [AdminPoolResponse] {
        let ids = pools.compactMap(\.id)
        let rows = ids.isEmpty ? [] : try await PoolMember.query(on: context.db).filter(\.$pool.$id ~~ ids).all()
        let userIDs = Set(rows.map(\.$user.id))
        let users =
            userIDs.isEmpty
            ? [] : try await User.query(on: context.db).filter(\.$id ~~ Array(userIDs)).with(\.$roleGrants).all()
        let byID = Dictionary(uniqueKeysWithValues: users.map { ($0.id!, $0) })
        return pools.map { pool in
            let members = rows.filter { $0.$pool.id == pool.id }.compactMap { byID[$0.$user.id] }.map { user in
                AdminPoolMemberResponse(
                    id: user.id!, name: user.personName.displayName,
                    roles: user.roleGrants.map(\.role).filter { $0 == .provider || $0 == .staff }.map(\.rawValue)
                        .sorted())
            }.sorted { $0.name < $1.name }
            return AdminPoolResponse(
                id: pool.id!, name: pool.name, retired: pool.retiredAt != nil, members: members,
                version: pool.version)
        }
    }
}
