import Domain
import Fluent
import Vapor

/// The organisation's message types: create, change, reorder, retire and restore. A retired type keeps its
/// conversations (they open and take replies) but is offered for no new one; `MessageTypeRule.mayStart` holds that.
struct MessageTypesEditor {
    let context: AdminContext

    static let nameLength = 100
    static let descriptionLength = 500

    func list() async throws -> [AdminMessageTypeResponse] {
        try await types(on: context.db).map(Self.response)
    }

    func get(_ id: UUID) async throws -> AdminMessageTypeResponse {
        Self.response(try await findType(id, on: context.db))
    }

    /// The organisation's pools a type may offer, by name; retired ones are marked.
    func pools() async throws -> [AdminMessageTypePoolResponse] {
        try await Pool.query(on: context.db).filter(\.$organization.$id == context.organizationID).sort(\.$name).all()
            .map { AdminMessageTypePoolResponse(id: $0.id!, name: $0.name, retired: $0.retiredAt != nil) }
    }

    func create(_ input: AdminMessageTypeInput) async throws -> AdminMessageTypeResponse {
        let context = context
        let id = try await context.change { db in
            let existing = try await types(on: db)
            let type = MessageType(
                organizationID: context.organizationID, name: "", description: "",
                position: (existing.map(\.position).max() ?? -1) + 1, offersCareTeam: true)
            let pools = try await apply(input, to: type, creating: true, others: existing, on: db)
            try await type.create(on: db)
            for pool in pools { try await type.$pools.attach(pool, on: db) }
            try await context.actor.audit(
                "admin.message_type.create", "message_type", type.id,
                change: AuditChange(before: nil, after: Self.values(type, pools: pools)), on: db)
            return try type.requireID()
        }
        return try await get(id)
    }

    func update(_ id: UUID, _ input: AdminMessageTypeInput, version: Int) async throws -> AdminMessageTypeResponse {
        let context = context
        try await context.change { db in
            let all = try await types(on: db)
            guard let type = all.first(where: { $0.id == id }) else { throw AdministrationError.notFound }
            guard type.version == version else { throw AdministrationError.versionConflict }
            let before = Self.values(type, pools: type.pools)
            let pools = try await apply(input, to: type, creating: false, others: all, on: db)
            try await AdminContext.bumpVersion(
                of: MessageType.schema, id: id, organizationID: context.organizationID, from: version, on: db)
            type.version = version + 1
            try await type.save(on: db)
            if Set(pools.compactMap(\.id)) != Set(type.pools.compactMap(\.id)) {
                try await type.$pools.detachAll(on: db)
                for pool in pools { try await type.$pools.attach(pool, on: db) }
            }
            try await context.actor.audit(
                "admin.message_type.update", "message_type", id,
                change: AuditChange(before: before, after: Self.values(type, pools: pools)), on: db)
        }
        return try await get(id)
    }

    func setRetired(_ id: UUID, _ retired: Bool, version: Int) async throws -> AdminMessageTypeResponse {
        let context = context
        try await context.change { db in
            let type = try await findType(id, on: db)
            guard type.version == version else { throw AdministrationError.versionConflict }
            let before = Self.values(type, pools: type.pools)
            if !retired, type.retiredAt != nil {
                try Self.refuseTaken(type.name, except: id, among: try await types(on: db))
            }
            try await AdminContext.bumpVersion(
                of: MessageType.schema, id: id, organizationID: context.organizationID, from: version, on: db)
            type.retiredAt = retired ? (type.retiredAt ?? context.actor.now) : nil
            type.version = version + 1
            try await type.save(on: db)
            try await context.actor.audit(
                retired ? "admin.message_type.retire" : "admin.message_type.restore", "message_type", id,
                change: AuditChange(before: before, after: Self.values(type, pools: type.pools)), on: db)
        }
        return try await get(id)
    }

    /// Puts every type of the organisation in the order given; `ids` must name each exactly once.
    func reorder(_ input: AdminMessageTypeOrderInput) async throws -> [AdminMessageTypeResponse] {
        let context = context
        try await context.change { db in
            let all = try await types(on: db)
            guard let ids = input.ids, ids.count == all.count, Set(ids) == Set(all.compactMap(\.id)) else {
                throw AdministrationError.invalid("ids", "List every message type of your organization exactly once.")
            }
            let before = all.map { $0.id!.uuidString }.joined(separator: ",")
            for (position, id) in ids.enumerated() {
                guard let type = all.first(where: { $0.id == id }), type.position != position else { continue }
                try await AdminContext.bumpVersion(
                    of: MessageType.schema, id: id, organizationID: context.organizationID, from: type.version, on: db)
                type.position = position
                type.version += 1
                try await type.save(on: db)
            }
            try await context.actor.audit(
                "admin.message_type.reorder", "organization", context.organizationID,
                change: AuditChange(
                    before: ["order": before], after: ["order": ids.map(\.uuidString).joined(separator: ",")]), on: db)
        }
        return try await list()
    }

    /// Moves one type a place up (`-1`) or down (`+1`) in the list.
    func move(_ id: UUID, by offset: Int) async throws -> [AdminMessageTypeResponse] {
        let ids = try await list().map(\.id)
        guard let index = ids.firstIndex(of: id) else { throw AdministrationError.notFound }
        return try await move(id, to: AdminMessageTypeMoveInput(position: min(max(index + offset, 0), ids.count - 1)))
    }

    /// Moves one type to `position` (from 0) in the list; the others keep their order around it.
    func move(_ id: UUID, to input: AdminMessageTypeMoveInput) async throws -> [AdminMessageTypeResponse] {
        var ids = try await list().map(\.id)
        guard let index = ids.firstIndex(of: id) else { throw AdministrationError.notFound }
        guard let position = input.position, ids.indices.contains(position) else {
            throw AdministrationError.invalid("position", "position must be from 0 to \(ids.count - 1).")
        }
        ids.remove(at: index)
        ids.insert(id, at: position)
        return try await reorder(AdminMessageTypeOrderInput(ids: ids))
    }

    // MARK: Helpers

    /// Checks `input` and sets it on `type`; answers the pools the type is to offer.
    private func apply(
        _ input: AdminMessageTypeInput, to type: MessageType, creating: Bool, others: [MessageType],
        on db: any Database
    ) async throws -> [Pool] {
        if creating || input.name != nil {
            let name = try AdminText.clean(input.name, field: "name", label: "a name", max: Self.nameLength)
            try Self.refuseTaken(name, except: type.id, among: others)
            type.name = name
        }
        if let description = input.description {
            type.description = try AdminText.clean(
                description, field: "description", label: "the description", max: Self.descriptionLength,
                required: false)
        }
        if let startedBy = input.startedBy {
            let sides = startedBy.compactMap(ConversationSide.init(rawValue:))
            guard sides.count == startedBy.count else {
                throw AdministrationError.invalid("startedBy", "Who may start one must be patient, proxy or care_team.")
            }
            guard !sides.isEmpty else {
                throw AdministrationError.invalid("startedBy", "Choose who may start this type of message.")
            }
            type.startedBy = MessageType.startedBy(Set(sides))
        }
        if let offers = input.offersCareTeam { type.offersCareTeam = offers }
        if let allows = input.allowsConfidentiality { type.allowsConfidentiality = allows }
        if let allows = input.allowsAttachments { type.allowsAttachments = allows }
        var pools = creating ? [] : type.pools
        if let ids = input.poolIds {
            let found =
                ids.isEmpty
                ? []
                : try await Pool.query(on: db).filter(\.$id ~~ ids)
                    .filter(\.$organization.$id == context.organizationID).all()
            let current = creating ? [] : Set(type.pools.compactMap(\.id))
            guard Set(found.compactMap(\.id)) == Set(ids),
                found.allSatisfy({ $0.retiredAt == nil || current.contains($0.id!) })
            else {
                throw AdministrationError.invalid("poolIds", "Choose active pools of your organization.")
            }
            pools = found
        }
        if !type.offersCareTeam && pools.isEmpty {
            throw AdministrationError.invalid(
                "recipients", "Choose who it goes to: the patient's care team, a pool, or both.")
        }
        return pools.sorted { $0.name < $1.name }
    }

    private static func refuseTaken(_ name: String, except id: UUID?, among types: [MessageType]) throws {
        guard let other = types.first(where: { $0.id != id && $0.name.lowercased() == name.lowercased() }) else {
            return
        }
        throw AdministrationError.invalid(
            "name",
            other.retiredAt == nil
                ? "There is already a message type named \(name)."
                : "A retired message type is named \(name): restore it, or choose another name.")
    }

    private func types(on db: any Database) async throws -> [MessageType] {
        try await MessageType.query(on: db).filter(\.$organization.$id == context.organizationID).with(\.$pools)
            .sort(\.$position).sort(\.$name).all()
    }

    /// One of the organisation's types; another organisation's answers 404.
    private func findType(_ id: UUID, on db: any Database) async throws -> MessageType {
        guard
            let type = try await MessageType.query(on: db).filter(\.$id == id)
                .filter(\.$organization.$id == context.organizationID).with(\.$pools).first()
        else { throw AdministrationError.notFound }
        return type
    }

    static func values(_ type: MessageType, pools: [Pool]) -> [String: String] {
        [
            "name": type.name, "description": type.description, "started_by": type.startedBy,
            "offers_care_team": String(type.offersCareTeam),
            "pools": pools.compactMap(\.id).map(\.uuidString).sorted().joined(separator: ","),
            "allows_confidentiality": String(type.allowsConfidentiality),
            "allows_attachments": String(type.allowsAttachments), "retired": String(type.retiredAt != nil),
        ]
    }

    static func response(_ type: MessageType) -> AdminMessageTypeResponse {
        AdminMessageTypeResponse(
            id: type.id!, name: type.name, description: type.description, position: type.position,
            startedBy: type.startedBy.split(separator: ",").map(String.init), offersCareTeam: type.offersCareTeam,
            pools: type.pools.sorted { $0.name < $1.name }.map {
                AdminMessageTypePoolResponse(id: $0.id!, name: $0.name, retired: $0.retiredAt != nil)
            },
            allowsConfidentiality: type.allowsConfidentiality, allowsAttachments: type.allowsAttachments,
            retired: type.retiredAt != nil, version: type.version)
    }
}
