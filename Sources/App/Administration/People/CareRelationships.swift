import Domain
import Fluent
import Foundation

/// A patient's care relationships as an administrator manages them: giving a provider, ending one. A provider is
/// offered to the patient on New Message while a relationship is in force (`RecipientDirectory`).
struct CareRelationships {
    let people: ManagePeople

    var actor: AdminActor { people.actor }
    var today: CalendarDate { people.today }
    var queries: PeopleQueries { people.queries }

    struct Input: Sendable {
        var providerID: UUID?
        var kind: String?
        var from: String?
        var until: String?
    }

    func list(patient: UUID) async throws -> [AdminCareRelationshipResponse] {
        _ = try await people.person(patient)
        let relationships = try await queries.careRelationships(ofPatient: patient)
        let names = try await queries.names(Set(relationships.map(\.$provider.id)))
        return relationships.map { response($0, names: names) }
    }

    /// Every problem with `input`, by the API's field names (`providerId`, `kind`, `from`, `until`).
    func problems(with input: Input, patient: UUID) async throws -> [String: String] {
        var problems: [String: String] = [:]
        let providers = try await people.activeProviders()
        if let id = input.providerID {
            if !providers.contains(where: { $0.id == id }) {
                problems["providerId"] = "Choose one of your organization's active providers."
            }
        } else {
            problems["providerId"] = "Choose a provider."
        }
        if CareRelationship.Kind(rawValue: input.kind ?? "") == nil {
            problems["kind"] = "Choose primary care or specialist."
        }
        let period = ProxyGrants.period(from: input.from, until: input.until, today: today, into: &problems)
        if let id = input.providerID, problems.isEmpty, let period {
            let existing = try await queries.careRelationships(ofPatient: patient).filter { $0.$provider.id == id }
            if existing.contains(where: { ($0.activeUntil.flatMap(CalendarDate.init) ?? today) >= today }) {
                problems["providerId"] = "This patient already has an active relationship with this provider."
            } else if existing.contains(where: { $0.activeFrom == period.from.description }) {
                problems["from"] = "A relationship with this provider already starts on that day."
            }
        }
        return problems
    }

    func add(patient: UUID, _ input: Input) async throws -> AdminCareRelationshipResponse {
        _ = try await self.patient(patient)
        let problems = try await problems(with: input, patient: patient)
        if let field = ["providerId", "kind", "from", "until"].first(where: { problems[$0] != nil }) {
            throw AdministrationError.invalid(field, problems[field]!)
        }
        var ignored: [String: String] = [:]
        guard let providerID = input.providerID, let kind = CareRelationship.Kind(rawValue: input.kind ?? ""),
            let period = ProxyGrants.period(from: input.from, until: input.until, today: today, into: &ignored)
        else { throw AdministrationError.invalid("providerId", "Choose a provider.") }
        let (actor, organizationID, id) = (actor, actor.organizationID, UUID())
        try await people.writes.transaction(on: people.db) { db in
            let relationship = CareRelationship(
                organizationID: organizationID, patientID: patient, providerID: providerID, kind: kind, period: period)
            relationship.id = id
            try await relationship.create(on: db)
            var after = [
                "patientId": patient.uuidString, "providerId": providerID.uuidString, "kind": kind.rawValue,
                "from": period.from.description,
            ]
            after["until"] = period.until?.description
            try await actor.audit(
                "admin.care_relationship.create", "care_relationship", id, actingFor: patient,
                change: AuditChange(before: nil, after: after), on: db)
        }
        return try await relationship(id, patient: patient)
    }

    /// Sets the relationship's last day (today when not given); a relationship already over cannot be ended again.
    func end(_ id: UUID, patient: UUID, version: Int, until: String?) async throws -> AdminCareRelationshipResponse {
        _ = try await self.patient(patient)
        guard let relationship = try await queries.careRelationship(id, ofPatient: patient) else {
            throw AdministrationError.notFound
        }
        guard relationship.version == version else { throw AdministrationError.versionConflict }
        let last: CalendarDate
        if let until, !until.isEmpty {
            guard let date = CalendarDate(until) else {
                throw AdministrationError.invalid("until", "Enter the end date as YYYY-MM-DD.")
            }
            last = date
        } else {
            last = today
        }
        if let ended = relationship.activeUntil.flatMap(CalendarDate.init), ended < today {
            throw AdministrationError.invalid("until", "This relationship has already ended.")
        }
        if let from = CalendarDate(relationship.activeFrom), last < from {
            throw AdministrationError.invalid("until", "The end date cannot be before the start date (\(from)).")
        }
        let (actor, organizationID, before) = (actor, actor.organizationID, relationship.activeUntil ?? "")
        try await people.writes.transaction(on: people.db) { db in
            guard
                try await PeopleQueries(db: db, organizationID: organizationID).endCareRelationship(
                    id, until: last.description, version: version)
            else { throw AdministrationError.versionConflict }
            try await actor.audit(
                "admin.care_relationship.end", "care_relationship", id, actingFor: patient,
                change: AuditChange(before: ["until": before], after: ["until": last.description]), on: db)
        }
        return try await self.relationship(id, patient: patient)
    }

    private func relationship(_ id: UUID, patient: UUID) async throws -> AdminCareRelationshipResponse {
        guard let relationship = try await queries.careRelationship(id, ofPatient: patient) else {
            throw AdministrationError.notFound
        }
        return response(relationship, names: try await queries.names([relationship.$provider.id]))
    }

    /// The patient, of this organisation; anyone else is not found, and a person who is not a patient is refused.
    func patient(_ id: UUID) async throws -> AdminPersonResponse {
        let person = try await people.person(id)
        guard person.roles.contains(Role.patient.rawValue) else {
            throw AdministrationError(
                .unprocessableEntity, "not_a_patient",
                "This person is not a patient: give them the patient role first.",
                field: "id")
        }
        return person
    }

    private func response(_ relationship: CareRelationship, names: [UUID: String]) -> AdminCareRelationshipResponse {
        let period = ProxyGrants.activePeriod(relationship.activeFrom, relationship.activeUntil)
        return AdminCareRelationshipResponse(
            id: relationship.id!, patientId: relationship.$patient.id,
            provider: PersonResponse(id: relationship.$provider.id, name: names[relationship.$provider.id] ?? ""),
            kind: relationship.kind.rawValue, from: relationship.activeFrom, until: relationship.activeUntil,
            active: period.map { $0.isWellFormed && $0.contains(today) } ?? false, version: relationship.version)
    }
}
