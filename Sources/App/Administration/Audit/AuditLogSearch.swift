import Domain
import Fluent
import FluentSQL
import Foundation

/// The audit log as an administrator reads it: only their own organisation's events, found by who did them, whom they
/// concerned, what they were and when. The page, the API and the export all search through this one type.
struct AuditLogSearch: Sendable {
    let db: any Database
    let actor: AdminActor

    static let pageSize = 50
    static let maxTextLength = 100

    /// The organisation's time zone, in which dates are typed and times shown.
    func timeZone() async throws -> TimeZone {
        guard let organization = try await Organization.find(actor.organizationID, on: db) else {
            throw AdministrationError.notFound
        }
        return TimeZone(identifier: organization.timeZone) ?? TimeZone(identifier: "UTC")!
    }

    /// Finds the people named in the search and reads its dates; every field that cannot be used is refused at once.
    func resolve(_ input: AuditSearchInput, timeZone: TimeZone) async throws -> AuditFilter {
        var filter = AuditFilter()
        var errors: [(field: String, message: String)] = []
        for (field, text) in [("user", input.user), ("patient", input.patient)] {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { continue }
            guard text.count <= Self.maxTextLength, let id = try await person(named: text) else {
                errors.append(
                    (
                        field,
                        "There is no one with the username \(text.prefix(Self.maxTextLength)) in your organization."
                    ))
                continue
            }
            if field == "user" { filter.actorID = id } else { filter.patientID = id }
        }
        if let text = input.action?.trimmingCharacters(in: .whitespaces).lowercased(), !text.isEmpty {
            if AuditActions.isWellFormed(text) {
                filter.action = text
            } else {
                errors.append(("action", "Choose an action from the list."))
            }
        }
        do {
            let range = try AuditDates.range(from: input.from, to: input.to, in: timeZone)
            filter.from = range.from
            filter.to = range.to
        } catch let refusal as AuditSearchRefusal {
            errors += refusal.errors
        }
        guard errors.isEmpty else { throw AuditSearchRefusal(errors: errors) }
        return filter
    }

    /// A user of this organisation by username, or by id; nil for anyone else's.
    private func person(named text: String) async throws -> UUID? {
        let query = User.query(on: db).filter(\.$organization.$id == actor.organizationID)
        if let id = UUID(uuidString: text) {
            query.filter(\.$id == id)
        } else {
            query.filter(\.$username == User.normalize(username: text))
        }
        return try await query.first()?.id
    }

    /// One page, newest first. Keyset paging by sequence: each page costs the same however deep it is.
    func page(_ filter: AuditFilter, cursor: AuditCursor?, limit: Int = pageSize) async throws -> AuditEventPage {
        let query = events(filter)
        switch cursor {
        case nil:
            let found = try await query.sort(\.$sequence, .descending).limit(limit + 1).all()
            let items = Array(found.prefix(limit))
            return AuditEventPage(items: items, newer: nil, older: found.count > limit ? items.last?.sequence : nil)
        case .olderThan(let sequence):
            let found = try await query.filter(\.$sequence < sequence).sort(\.$sequence, .descending)
                .limit(limit + 1).all()
            let items = Array(found.prefix(limit))
            return AuditEventPage(
                items: items, newer: items.first?.sequence, older: found.count > limit ? items.last?.sequence : nil)
        case .newerThan(let sequence):
            let found = try await query.filter(\.$sequence > sequence).sort(\.$sequence, .ascending)
                .limit(limit + 1).all()
            let items = Array(found.prefix(limit).reversed())
            return AuditEventPage(
                items: items, newer: found.count > limit ? items.first?.sequence : nil, older: items.last?.sequence)
        }
    }

    /// The next events after `sequence`, oldest first: what an export writes, one batch at a time.
    func batch(_ filter: AuditFilter, after sequence: Int64, limit: Int) async throws -> [AuditEvent] {
        try await events(filter).filter(\.$sequence > sequence).sort(\.$sequence, .ascending).limit(limit).all()
    }

    /// The people these events name, from this organisation only.
    func people(in events: [AuditEvent]) async throws -> [UUID: AuditPerson] {
        let ids = Set(events.flatMap { [$0.actorID, $0.actingForID] }.compactMap { $0 })
        guard !ids.isEmpty else { return [:] }
        let users = try await User.query(on: db).filter(\.$organization.$id == actor.organizationID)
            .filter(\.$id ~~ ids).all()
        return Dictionary(
            uniqueKeysWithValues: users.compactMap { user in
                user.id.map { ($0, AuditPerson(id: $0, name: user.personName.displayName, username: user.username)) }
            })
    }

    /// The organisation's patients who can be searched by username, for the page's suggestions.
    func patients(limit: Int = 500) async throws -> [AuditPerson] {
        let users = try await User.query(on: db)
            .join(UserRole.self, on: \UserRole.$user.$id == \User.$id)
            .filter(UserRole.self, \.$role == .patient)
            .filter(\.$organization.$id == actor.organizationID)
            .filter(\.$username != nil)
            .sort(\.$username).limit(limit).all()
        return users.compactMap { user in
            user.id.map { AuditPerson(id: $0, name: user.personName.displayName, username: user.username) }
        }
    }

    /// This organisation's events that match the filter. Events outside every organisation (a sign-in with an unknown
    /// username) belong to none and never show.
    private func events(_ filter: AuditFilter) -> QueryBuilder<AuditEvent> {
        let query = AuditEvent.query(on: db).filter(\.$organizationID == actor.organizationID)
        if let actorID = filter.actorID { query.filter(\.$actorID == actorID) }
        if let patient = filter.patientID {
            query.group(.or) { either in
                either.filter(\.$actingForID == patient).filter(\.$actorID == patient)
                    .group(.and) { account in account.filter(\.$recordType == "user").filter(\.$recordID == patient) }
            }
        }
        if let action = filter.action {
            if action.hasSuffix(".") {
                // A family by its prefix. Not LIKE: `_` in action names would be a wildcard there.
                query.filter(
                    .sql(embed: "substr(\(ident: "action"), 1, \(unsafeRaw: String(action.count))) = \(bind: action)"))
            } else {
                query.filter(\.$action == action)
            }
        }
        if let from = filter.from { query.filter(\.$occurredAt >= from) }
        if let to = filter.to { query.filter(\.$occurredAt < to) }
        return query
    }
}

/// A page of events, newest first, with where the pages beside it start.
struct AuditEventPage: Sendable {
    let items: [AuditEvent]
    /// Previous: the page newer than this sequence.
    let newer: Int64?
    /// Next: the page older than this sequence.
    let older: Int64?
}

/// A person an event names, as the administrator may see them.
struct AuditPerson: Sendable, Equatable {
    let id: UUID
    let name: String
    let username: String?
}
