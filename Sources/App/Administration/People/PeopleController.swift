import Domain
import Foundation
import Vapor

/// The People pages under `/administration/people`: find, add and change people. Forms post, then redirect to the
/// person's page; a form with problems is shown again with each beside its field (422).
struct PeopleController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let people = routes.grouped("administration", "people")
        people.get(use: list)
        people.get("new", use: new)
        people.post(use: create)
        people.get(":personID", use: show)
        people.get(":personID", "edit", use: edit)
        people.post(":personID", use: update)
        people.post(":personID", "deactivate", use: deactivate)
        people.post(":personID", "reactivate", use: reactivate)
        people.post(":personID", "temporary-password", use: temporaryPassword)
        people.post(":personID", "activation-code", use: activationCode)
        people.post(":personID", "two-factor", "reset", use: resetTwoFactor)
        people.post(":personID", "care-relationships", use: addCareRelationship)
        people.post(":personID", "care-relationships", ":relationshipID", "end", use: endCareRelationship)
        people.post(":personID", "proxies", use: grantProxy)
        people.post(":personID", "proxy-invitations", use: inviteProxy)
        people.post(":personID", "proxies", ":grantID", "revoke", use: revokeProxy)
    }

    struct PersonForm: Content {
        var name: String?
        var title: String?
        var credentials: String?
        var specialty: String?
        var birth_date: String?
        var record_number: String?
        var email: String?
        var username: String?
        var role_patient: String?
        var role_proxy: String?
        var role_provider: String?
        var role_staff: String?
        var role_admin: String?
        var version: Int?

        var roles: Set<Role> {
            var roles: Set<Role> = []
            for (role, value) in [
                (Role.patient, role_patient), (.proxy, role_proxy), (.provider, role_provider), (.staff, role_staff),
                (.admin, role_admin),
            ] where value != nil {
                roles.insert(role)
            }
            return roles
        }

        var fields: PersonFields {
            PersonFields(
                name: name ?? "", title: title, credentials: credentials, specialty: specialty, birthDate: birth_date,
                recordNumber: record_number, email: email, username: username, roles: roles)
        }
    }

    @Sendable func list(request: Request) async throws -> View {
        let people = try await request.managePeople()
        var error: String?
        var search = PeopleQueries.Search()
        var page = 1
        do {
            (search, page) = try PeopleSearchQuery.parse(request)
        } catch let refusal as AdministrationError {
            error = refusal.message
        }
        let found = try await people.search(search, page: page)
        let model = PeopleListPage(
            layout: try await LayoutModel.make(request, title: "People"), q: search.text ?? "", born: search.born ?? "",
            roleOptions: PeopleListPage.roleOptions(selected: Set([search.role].compactMap { $0 }), includeAny: true),
            rows: found.items.map { PeopleListPage.Row(person: $0, rolesLabel: PeopleListPage.rolesLabel($0.roles)) },
            page: page, previousLink: page > 1 ? PeopleListPage.link(search, page: page - 1) : nil,
            nextLink: found.nextPage.map { PeopleListPage.link(search, page: $0) }, error: error)
        return try await request.view.render("admin-people", model)
    }

    @Sendable func new(request: Request) async throws -> Response {
        _ = try await request.managePeople()
        return try await renderForm(request, form: PersonForm(), personID: nil, problems: [:], status: .ok)
    }

    @Sendable func create(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let form = try request.content.decode(PersonForm.self)
        let problems = try await people.problems(with: form.fields, person: nil)
        guard problems.isEmpty else {
            return try await renderForm(
                request, form: form, personID: nil, problems: problems, status: .unprocessableEntity)
        }
        let person = try await people.create(form.fields)
        return request.redirect(to: "/administration/people/\(person.id)?done=created", redirectType: .normal)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { PersonPage.notices[$0] }
        return try await renderPerson(request, people, id: try request.adminID("personID"), notice: notice)
    }

    @Sendable func edit(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let person = try await people.person(try request.adminID("personID"))
        var form = PersonForm(
            name: person.name, title: person.title, credentials: person.credentials, specialty: person.specialty,
            birth_date: person.birthDate, record_number: person.recordNumber, email: person.email,
            username: person.username, version: person.version)
        let roles = Set(person.roles.compactMap(Role.init(rawValue:)))
        form.role_patient = roles.contains(.patient) ? "on" : nil
        form.role_proxy = roles.contains(.proxy) ? "on" : nil
        form.role_provider = roles.contains(.provider) ? "on" : nil
        form.role_staff = roles.contains(.staff) ? "on" : nil
        form.role_admin = roles.contains(.admin) ? "on" : nil
        return try await renderForm(request, form: form, personID: person.id, problems: [:], status: .ok)
    }

    @Sendable func update(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        // Another organisation's person is not found: their form is never shown again, not even empty.
        _ = try await people.person(id)
        let form = try request.content.decode(PersonForm.self)
        let problems = try await people.problems(with: form.fields, person: id)
        guard problems.isEmpty else {
            return try await renderForm(
                request, form: form, personID: id, problems: problems, status: .unprocessableEntity)
        }
        do {
            _ = try await people.update(id, version: form.version ?? 0) { $0 = form.fields }
        } catch let refusal as AdministrationError
            where refusal.status == .unprocessableEntity || refusal.status == .conflict
        {
            return try await renderForm(
                request, form: form, personID: id, problems: [refusal.field ?? "form": refusal.message],
                status: refusal.status)
        }
        return request.redirect(to: "/administration/people/\(id)?done=updated", redirectType: .normal)
    }

    private func renderForm(
        _ request: Request, form: PersonForm, personID: UUID?, problems: [String: String], status: HTTPStatus
    ) async throws -> Response {
        let errors = PersonFormPage.formErrors(problems)
        let page = PersonFormPage(
            layout: try await LayoutModel.make(request, title: personID == nil ? "Add a Person" : "Edit Person"),
            heading: personID == nil ? "Add a Person" : "Edit Person",
            action: personID.map { "/administration/people/\($0)" } ?? "/administration/people",
            personID: personID, version: form.version, name: form.name ?? "", title: form.title ?? "",
            credentials: form.credentials ?? "", specialty: form.specialty ?? "", birthDate: form.birth_date ?? "",
            recordNumber: form.record_number ?? "", email: form.email ?? "", username: form.username ?? "",
            roles: PeopleListPage.roleOptions(selected: form.roles, includeAny: false),
            errors: errors,
            errorSummary: ErrorSummaryItem.list(
                errors,
                order: [
                    "form", "roles", "name", "title", "credentials", "specialty", "birth_date", "record_number",
                    "email",
                    "username",
                ], targets: ["roles": "roles-error"]),
            cancel: personID.map { "/administration/people/\($0)" } ?? "/administration/people")
        return try await request.view.render("admin-person-form", page).encodeResponse(status: status, for: request)
    }
}
