import Domain
import Foundation
import Vapor

/// People, care relationships and proxy grants in the JSON API, under `/api/v1/admin/people`. Each handler parses,
/// calls one use case method and encodes.
struct PeopleAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let people = routes.grouped("people")
        people.get(use: search)
        people.post(use: create)
        people.get(":personID", use: show)
        people.patch(":personID", use: update)
        people.post(":personID", "deactivate", use: deactivate)
        people.post(":personID", "reactivate", use: reactivate)
        people.post(":personID", "temporary-password", use: temporaryPassword)
        people.post(":personID", "activation-code", use: activationCode)
        people.post(":personID", "two-factor", "reset", use: resetTwoFactor)
        people.get(":personID", "care-relationships", use: careRelationships)
        people.post(":personID", "care-relationships", use: addCareRelationship)
        people.post(":personID", "care-relationships", ":relationshipID", "end", use: endCareRelationship)
        people.get(":personID", "proxies", use: proxies)
        people.post(":personID", "proxies", use: grantProxy)
        people.post(":personID", "proxy-invitations", use: inviteProxy)
        people.post(":personID", "proxies", ":grantID", "revoke", use: revokeProxy)
    }

    @Sendable func search(request: Request) async throws -> AdminPeoplePageResponse {
        let people = try await request.managePeople()
        let (search, page) = try PeopleSearchQuery.parse(request)
        let limit = try PeopleSearchQuery.integer(request, "limit", in: 1...100) ?? ManagePeople.pageSize
        return try await people.search(search, page: page, limit: limit)
    }

    @Sendable func create(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let input = try request.content.decode(AdminCreatePersonRequest.self)
        try PersonFields.checkAsSent(
            name: input.name, title: input.title, credentials: input.credentials, specialty: input.specialty,
            birthDate: input.birthDate, recordNumber: input.recordNumber, email: input.email, username: input.username)
        let fields = PersonFields(
            name: input.name, title: input.title, credentials: input.credentials, specialty: input.specialty,
            birthDate: input.birthDate, recordNumber: input.recordNumber, email: input.email, username: input.username,
            roles: try PersonFields.roles(input.roles))
        let person = try await people.create(fields)
        return try await person.withETag(person.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let person = try await request.managePeople().person(try request.adminID("personID"))
        return try await person.withETag(person.version).encodeResponse(for: request)
    }

    @Sendable func update(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let version = try request.requiredIfMatchVersion()
        let input = try request.content.decode(AdminUpdatePersonRequest.self)
        try PersonFields.checkAsSent(
            name: input.name, title: input.title, credentials: input.credentials, specialty: input.specialty,
            birthDate: input.birthDate, recordNumber: input.recordNumber, email: input.email, username: input.username)
        let roles = try input.roles.map(PersonFields.roles)
        let person = try await people.update(try request.adminID("personID"), version: version) { fields in
            if let name = input.name { fields.name = name }
            if let title = input.title { fields.title = title }
            if let credentials = input.credentials { fields.credentials = credentials }
            if let specialty = input.specialty { fields.specialty = specialty }
            if let birthDate = input.birthDate { fields.birthDate = birthDate }
            if let recordNumber = input.recordNumber { fields.recordNumber = recordNumber }
            if let email = input.email { fields.email = email }
            if let username = input.username { fields.username = username }
            if let roles { fields.roles = roles }
        }
        return try await person.withETag(person.version).encodeResponse(for: request)
    }

    @Sendable func deactivate(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let person = try await people.deactivate(
            try request.adminID("personID"), version: try request.requiredIfMatchVersion())
        return try await person.withETag(person.version).encodeResponse(for: request)
    }

    @Sendable func reactivate(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let person = try await people.reactivate(
            try request.adminID("personID"), version: try request.requiredIfMatchVersion())
        return try await person.withETag(person.version).encodeResponse(for: request)
    }

    @Sendable func resetTwoFactor(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let person = try await people.resetTwoFactor(
            try request.adminID("personID"), version: try request.requiredIfMatchVersion())
        return try await person.withETag(person.version).encodeResponse(for: request)
    }

    @Sendable func temporaryPassword(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let result = try await people.temporaryPassword(
            try request.adminID("personID"), version: try request.requiredIfMatchVersion())
        let response = try await result.withETag(result.person.version).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable func activationCode(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        let version = try request.requiredIfMatchVersion()
        // Another organisation's patient is not found, whatever the body says.
        _ = try await people.person(id)
        let input = try request.content.decode(AdminIssueActivationCodeRequest.self)
        guard let delivery = ActivationCodes.Delivery(rawValue: input.delivery) else {
            throw AdministrationError.invalid("delivery", "Choose print or email.")
        }
        let result = try await people.activationCode(id, version: version, delivery: delivery)
        let response = try await result.withETag(result.person.version).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: Care relationships

    @Sendable func careRelationships(request: Request) async throws -> [AdminCareRelationshipResponse] {
        try await CareRelationships(people: try await request.managePeople()).list(
            patient: try request.adminID("personID"))
    }

    @Sendable func addCareRelationship(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        // Another organisation's patient is not found, whatever the body says.
        _ = try await people.person(try request.adminID("personID"))
        let relationships = CareRelationships(people: people)
        let input = try request.content.decode(AdminAddCareRelationshipRequest.self)
        let relationship = try await relationships.add(
            patient: try request.adminID("personID"),
            .init(providerID: input.providerId, kind: input.kind, from: input.from, until: input.until))
        return try await relationship.withETag(relationship.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func endCareRelationship(request: Request) async throws -> Response {
        let relationships = CareRelationships(people: try await request.managePeople())
        let version = try request.requiredIfMatchVersion()
        let input = request.body.data == nil ? nil : try request.content.decode(AdminEndCareRelationshipRequest.self)
        let relationship = try await relationships.end(
            try request.adminID("relationshipID"), patient: try request.adminID("personID"), version: version,
            until: input?.until)
        return try await relationship.withETag(relationship.version).encodeResponse(for: request)
    }

    // MARK: Proxy grants

    @Sendable func proxies(request: Request) async throws -> [AdminProxyGrantResponse] {
        try await ProxyGrants(people: try await request.managePeople()).list(patient: try request.adminID("personID"))
    }

    @Sendable func grantProxy(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        _ = try await people.person(try request.adminID("personID"))
        let grants = ProxyGrants(people: people)
        let input = try request.content.decode(AdminGrantProxyRequest.self)
        let grant = try await grants.grant(
            patient: try request.adminID("personID"),
            .init(proxyID: input.proxyId, relationship: input.relationship, from: input.from, until: input.until))
        return try await grant.withETag(grant.version).encodeResponse(status: .created, for: request)
    }

    @Sendable func inviteProxy(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        // Another organisation's patient is not found, whatever the body says.
        _ = try await people.person(id)
        let input = try request.content.decode(AdminInviteProxyRequest.self)
        let invitation = try await ProxyGrants(people: people).invite(
            patient: id, email: input.email, relationship: input.relationship,
            emailIsOn: request.application.emailNotifications != nil)
        return try await invitation.encodeResponse(status: .created, for: request)
    }

    /// 200 with the grant, now ended yesterday; 204 when it had not begun before today and so is gone.
    @Sendable func revokeProxy(request: Request) async throws -> Response {
        let grants = ProxyGrants(people: try await request.managePeople())
        let version = try request.requiredIfMatchVersion()
        guard
            let grant = try await grants.revoke(
                try request.adminID("grantID"), patient: try request.adminID("personID"), version: version)
        else { return Response(status: .noContent) }
        return try await grant.withETag(grant.version).encodeResponse(for: request)
    }
}

/// The search a list of people is asked for: `q`, `born`, `role` and `page`, refused by name when unreadable.
enum PeopleSearchQuery {
    static func parse(_ request: Request) throws -> (PeopleQueries.Search, page: Int) {
        var search = PeopleQueries.Search()
        if let text = try? request.query.get(String.self, at: "q") {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.unicodeScalars.count <= 100 else {
                throw AdministrationError.invalid("q", "Search for at most 100 characters.")
            }
            search.text = trimmed.isEmpty ? nil : trimmed
        }
        if let born = try? request.query.get(String.self, at: "born"), !born.isEmpty {
            guard CalendarDate(born) != nil else {
                throw AdministrationError.invalid("born", "Enter the date of birth as YYYY-MM-DD.")
            }
            search.born = born
        }
        if let role = try? request.query.get(String.self, at: "role"), !role.isEmpty {
            guard let parsed = Role(rawValue: role) else {
                throw AdministrationError.invalid("role", "A role is one of patient, proxy, provider, staff or admin.")
            }
            search.role = parsed
        }
        let page = try integer(request, "page", in: 1...100_000) ?? 1
        return (search, page)
    }

    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try? request.query.get(String.self, at: name) else { return nil }
        guard text.count <= 7, let value = Int(text), range.contains(value) else {
            throw AdministrationError.invalid(
                name, "\(name) is a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }
}
