import Domain
import Fluent
import Foundation

/// Who may act for a patient: granting a person proxy access (they get the proxy role if they lack it) and revoking
/// it. A revoked grant stops counting at once: its last day becomes yesterday, so the proxy no longer sees the
/// patient's messages today; a grant that had not begun before today is removed.
struct ProxyGrants {
    let people: ManagePeople

    var actor: AdminActor { people.actor }
    var today: CalendarDate { people.today }
    var queries: PeopleQueries { people.queries }

    static let relationships = [
        "parent", "spouse", "partner", "child", "sibling", "caregiver", "guardian", "other",
    ]

    struct Input: Sendable {
        var proxyID: UUID?
        var relationship: String?
        var from: String?
        var until: String?
    }

    func list(patient: UUID) async throws -> [AdminProxyGrantResponse] {
        _ = try await people.person(patient)
        let grants = try await queries.proxyGrants(ofPatient: patient)
        let names = try await queries.names(Set(grants.map(\.$proxy.id)))
        return grants.map { response($0, names: names) }
    }

    /// The patients `proxy` acts for (or did), each as the patient and the grant.
    func actsFor(proxy: UUID) async throws -> [(patient: PersonResponse, grant: AdminProxyGrantResponse)] {
        let grants = try await queries.proxyGrants(ofProxy: proxy)
        let names = try await queries.names(Set(grants.flatMap { [$0.$patient.id, $0.$proxy.id] }))
        return grants.map {
            (PersonResponse(id: $0.$patient.id, name: names[$0.$patient.id] ?? ""), response($0, names: names))
        }
    }

    /// Every problem with `input`, by the API's field names (`proxyId`, `relationship`, `from`, `until`).
    func problems(with input: Input, patient: UUID) async throws -> [String: String] {
        var problems: [String: String] = [:]
        if let id = input.proxyID {
            if id == patient {
                problems["proxyId"] = "A patient cannot be their own proxy."
            } else if let proxy = try await queries.person(id) {
                if proxy.deactivatedAt != nil {
                    problems["proxyId"] = "This person's account is deactivated."
                } else if proxy.username == nil {
                    problems["proxyId"] = "This person has no username, so they could not sign in: give them one first."
                }
            } else {
                problems["proxyId"] = "Choose a person of your organization."
            }
        } else {
            problems["proxyId"] = "Choose the person who will act for the patient."
        }
        if !Self.relationships.contains(input.relationship ?? "") {
            problems["relationship"] =
                "Choose how they are related: " + Self.relationships.joined(separator: ", ") + "."
        }
        let period = Self.period(from: input.from, until: input.until, today: today, into: &problems)
        if let id = input.proxyID, problems.isEmpty, let period {
            let existing = try await queries.proxyGrants(ofPatient: patient).filter { $0.$proxy.id == id }
            if existing.contains(where: { ($0.activeUntil.flatMap(CalendarDate.init) ?? today) >= today }) {
                problems["proxyId"] = "This person already has proxy access to this patient."
            } else if existing.contains(where: { $0.activeFrom == period.from.description }) {
                problems["from"] = "A grant for this person already starts on that day."
            }
        }
        return problems
    }

    func grant(patient: UUID, _ input: Input) async throws -> AdminProxyGrantResponse {
        _ = try await CareRelationships(people: people).patient(patient)
        let problems = try await problems(with: input, patient: patient)
        if let field = ["proxyId", "relationship", "from", "until"].first(where: { problems[$0] != nil }) {
            throw AdministrationError.invalid(field, problems[field]!)
        }
        var ignored: [String: String] = [:]
        guard let proxyID = input.proxyID, let relationship = input.relationship,
            let period = Self.period(from: input.from, until: input.until, today: today, into: &ignored)
        else { throw AdministrationError.invalid("proxyId", "Choose the person who will act for the patient.") }
        let proxyRoles = try await queries.roles(of: proxyID)
        let (actor, organizationID, id) = (actor, actor.organizationID, UUID())
        try await people.writes.transaction(on: people.db) { db in
            let queries = PeopleQueries(db: db, organizationID: organizationID)
            let grant = ProxyGrant(
                organizationID: organizationID, proxyID: proxyID, patientID: patient, relationship: relationship,
                period: period)
            grant.id = id
            try await grant.create(on: db)
            var after = [
                "patientId": patient.uuidString, "proxyId": proxyID.uuidString, "relationship": relationship,
                "from": period.from.description,
            ]
            after["until"] = period.until?.description
            try await actor.audit(
                "admin.proxy_grant.create", "proxy_grant", id, actingFor: patient,
                change: AuditChange(before: nil, after: after), on: db)
            if !proxyRoles.contains(.proxy) {
                try await UserRole(userID: proxyID, role: .proxy).create(on: db)
                try await queries.bumpVersion(proxyID)
                let roles = { (set: Set<Role>) in
                    Role.allCases.filter(set.contains).map(\.rawValue).joined(separator: ",")
                }
                try await actor.audit(
                    "admin.person.update", "user", proxyID,
                    change: AuditChange(
                        before: ["roles": roles(proxyRoles)], after: ["roles": roles(proxyRoles.union([.proxy]))]),
                    on: db)
            }
        }
        return try await self.grant(id, patient: patient)
    }

    /// - Parameter action: what the audit log calls it: an administrator's revocation, or the patient's own.
    func revoke(_ id: UUID, patient: UUID, version: Int, action: String = "admin.proxy_grant.revoke") async throws
        -> AdminProxyGrantResponse?
    {
        _ = try await people.person(patient)
        guard let grant = try await queries.proxyGrant(id, ofPatient: patient) else {
            throw AdministrationError.notFound
        }
        guard grant.version == version else { throw AdministrationError.versionConflict }
        let yesterday = today.adding(days: -1)
        if let ended = grant.activeUntil.flatMap(CalendarDate.init), ended <= yesterday {
            throw AdministrationError.invalid("id", "This grant has already ended.")
        }
        let from = CalendarDate(grant.activeFrom) ?? today
        let until = from <= yesterday ? yesterday.description : nil
        let (actor, organizationID, before) = (actor, actor.organizationID, grant.activeUntil ?? "")
        try await people.writes.transaction(on: people.db) { db in
            guard
                try await PeopleQueries(db: db, organizationID: organizationID).endProxyGrant(
                    id, until: until, version: version)
            else { throw AdministrationError.versionConflict }
            try await actor.audit(
                action, "proxy_grant", id, actingFor: patient,
                change: AuditChange(before: ["until": before], after: until.map { ["until": $0] }), on: db)
        }
        return until == nil ? nil : try await self.grant(id, patient: patient)
    }

    private func grant(_ id: UUID, patient: UUID) async throws -> AdminProxyGrantResponse {
        guard let grant = try await queries.proxyGrant(id, ofPatient: patient) else {
            throw AdministrationError.notFound
        }
        return response(grant, names: try await queries.names([grant.$proxy.id]))
    }

    private func response(_ grant: ProxyGrant, names: [UUID: String]) -> AdminProxyGrantResponse {
        let period = Self.activePeriod(grant.activeFrom, grant.activeUntil)
        return AdminProxyGrantResponse(
            id: grant.id!, patientId: grant.$patient.id,
            proxy: PersonResponse(id: grant.$proxy.id, name: names[grant.$proxy.id] ?? ""),
            relationship: grant.relationship, from: grant.activeFrom, until: grant.activeUntil,
            active: period.map { $0.isWellFormed && $0.contains(today) } ?? false, version: grant.version)
    }

    static func activePeriod(_ from: String, _ until: String?) -> ActivePeriod? {
        CalendarDate(from).map { ActivePeriod(from: $0, until: until.flatMap(CalendarDate.init)) }
    }

    /// The period a form or request gives: `from` (today when left out) through `until`, checked, with problems by
    /// field (`from`, `until`).
    static func period(from: String?, until: String?, today: CalendarDate, into problems: inout [String: String])
        -> ActivePeriod?
    {
        var start = today
        if let from, !from.isEmpty {
            guard let date = CalendarDate(from) else {
                problems["from"] = "Enter the start date as YYYY-MM-DD."
                return nil
            }
            start = date
        }
        var end: CalendarDate?
        if let until, !until.isEmpty {
            guard let date = CalendarDate(until) else {
                problems["until"] = "Enter the end date as YYYY-MM-DD, or leave it empty."
                return nil
            }
            guard date >= start else {
                problems["until"] = "The end date cannot be before the start date."
                return nil
            }
            end = date
        }
        return ActivePeriod(from: start, until: end)
    }
}
