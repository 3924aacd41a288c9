import Domain
import Fluent
import Foundation
import Vapor

/// The actions on a person's page: deactivate, reactivate, temporary password, care relationships and proxies. Each
/// posts the version the page showed; a refusal shows the person's page again with the reason at the top.
extension PeopleController {
    struct VersionForm: Content {
        var version: Int?
    }

    struct RelationshipForm: Content {
        var provider_id: String?
        var kind: String?
        var from: String?
        var until: String?
    }

    struct EndForm: Content {
        var version: Int?
        var until: String?
    }

    struct ProxyForm: Content {
        var proxy_username: String?
        var relationship: String?
        var from: String?
        var until: String?
    }

    @Sendable func deactivate(request: Request) async throws -> Response {
        try await act(request, done: "deactivated") { people, id in
            _ = try await people.deactivate(id, version: try request.content.decode(VersionForm.self).version ?? 0)
        }
    }

    @Sendable func reactivate(request: Request) async throws -> Response {
        try await act(request, done: "reactivated") { people, id in
            _ = try await people.reactivate(id, version: try request.content.decode(VersionForm.self).version ?? 0)
        }
    }

    struct InvitationForm: Content {
        var email: String?
        var relationship: String?
    }

    @Sendable func inviteProxy(request: Request) async throws -> Response {
        let form = try request.content.decode(InvitationForm.self)
        let emailIsOn = request.application.emailNotifications != nil
        return try await act(request, done: "proxy-invited") { people, id in
            _ = try await ProxyGrants(people: people).invite(
                patient: id, email: form.email, relationship: form.relationship, emailIsOn: emailIsOn)
        }
    }

    @Sendable func resetTwoFactor(request: Request) async throws -> Response {
        try await act(request, done: "two-factor-reset") { people, id in
            _ = try await people.resetTwoFactor(id, version: try request.content.decode(VersionForm.self).version ?? 0)
        }
    }

    /// Shows the password on this response only (no redirect, not cached): it is never shown again.
    @Sendable func temporaryPassword(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        let result: AdminTemporaryPasswordResponse
        do {
            result = try await people.temporaryPassword(
                id, version: try request.content.decode(VersionForm.self).version ?? 0)
        } catch let refusal as AdministrationError where refusal.status != .notFound {
            return try await renderPerson(request, people, id: id, errors: [refusal.message], status: refusal.status)
        }
        let page = TemporaryPasswordPage(
            layout: try await LayoutModel.make(request, title: "Temporary Password"), person: result.person,
            temporaryPassword: result.temporaryPassword)
        let response = try await request.view.render("admin-temporary-password", page).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct ActivationCodeForm: Content {
        var version: Int?
        var delivery: String?
    }

    /// A code to print is shown on this response only (no redirect, not cached); an emailed one is never shown.
    @Sendable func activationCode(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        let form = try request.content.decode(ActivationCodeForm.self)
        let result: AdminActivationCodeResponse
        do {
            result = try await people.activationCode(
                id, version: form.version ?? 0,
                delivery: ActivationCodes.Delivery(rawValue: form.delivery ?? "") ?? .print)
        } catch let refusal as AdministrationError where refusal.status != .notFound {
            return try await renderPerson(request, people, id: id, errors: [refusal.message], status: refusal.status)
        }
        guard let code = result.activationCode else {
            return request.redirect(
                to: "/administration/people/\(id)?done=activation-code-emailed", redirectType: .normal)
        }
        let organization = try await request.application.organizations.entry(
            for: people.actor.organizationID, at: request.now, on: request.db)
        let page = ActivationCodePage(
            layout: try await LayoutModel.make(request, title: "Activation Code"), person: result.person, code: code,
            until: (organization?.calendar.day(of: result.expiresAt) ?? people.today.adding(days: 30)).spelledOut,
            signUpURL: request.config.publicURL.appendingPathComponent("sign-up").absoluteString,
            organization: organization?.settings.name ?? "")
        return try await request.view.render("admin-activation-code", page).encodeResponse(for: request)
    }

    @Sendable func addCareRelationship(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        let form = try request.content.decode(RelationshipForm.self)
        let input = CareRelationships.Input(
            providerID: form.provider_id.flatMap(UUID.init(uuidString:)), kind: form.kind, from: form.from,
            until: form.until)
        let relationships = CareRelationships(people: people)
        let problems = try await relationships.problems(with: input, patient: id)
        guard problems.isEmpty else {
            let errors = Dictionary(
                uniqueKeysWithValues: problems.map { ($0.key == "providerId" ? "provider_id" : $0.key, $0.value) })
            return try await renderPerson(
                request, people, id: id, errors: Array(problems.values).sorted(), status: .unprocessableEntity,
                relationshipForm: form, relationshipErrors: errors)
        }
        return try await act(request, done: "relationship-added") { _, id in
            _ = try await relationships.add(patient: id, input)
        }
    }

    @Sendable func endCareRelationship(request: Request) async throws -> Response {
        try await act(request, done: "relationship-ended") { people, id in
            let form = try request.content.decode(EndForm.self)
            _ = try await CareRelationships(people: people).end(
                try request.adminID("relationshipID"), patient: id, version: form.version ?? 0, until: form.until)
        }
    }

    @Sendable func grantProxy(request: Request) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        let form = try request.content.decode(ProxyForm.self)
        let username = User.normalize(username: form.proxy_username ?? "")
        let organizationID: Organization.IDValue = people.actor.organizationID
        var proxy: User?
        if !username.isEmpty {
            proxy = try await User.query(on: request.db).filter(\.$username == username)
                .filter(\.$organization.$id == organizationID).first()
        }
        let input = ProxyGrants.Input(
            proxyID: proxy?.id, relationship: form.relationship, from: form.from, until: form.until)
        let grants = ProxyGrants(people: people)
        var problems = try await grants.problems(with: input, patient: id)
        if proxy == nil {
            problems["proxyId"] =
                username.isEmpty
                ? "Enter the username of the person who will act for the patient."
                : "No one in your organization has that username. Add the person first."
        }
        guard problems.isEmpty else {
            let errors = Dictionary(
                uniqueKeysWithValues: problems.map { ($0.key == "proxyId" ? "proxy_username" : $0.key, $0.value) })
            return try await renderPerson(
                request, people, id: id, errors: Array(problems.values).sorted(), status: .unprocessableEntity,
                proxyForm: form, proxyErrors: errors)
        }
        return try await act(request, done: "proxy-granted") { _, id in
            _ = try await grants.grant(patient: id, input)
        }
    }

    @Sendable func revokeProxy(request: Request) async throws -> Response {
        try await act(request, done: "proxy-revoked") { people, id in
            _ = try await ProxyGrants(people: people).revoke(
                try request.adminID("grantID"), patient: id,
                version: try request.content.decode(VersionForm.self).version ?? 0)
        }
    }

    /// Runs an action on the person, then back to their page with `done`'s notice; a refusal (other than not found)
    /// shows the page again with the reason at the top, answered with its status.
    private func act(
        _ request: Request, done: String, _ action: (ManagePeople, UUID) async throws -> Void
    ) async throws -> Response {
        let people = try await request.managePeople()
        let id = try request.adminID("personID")
        do {
            try await action(people, id)
        } catch let refusal as AdministrationError where refusal.status != .notFound {
            return try await renderPerson(request, people, id: id, errors: [refusal.message], status: refusal.status)
        }
        return request.redirect(to: "/administration/people/\(id)?done=\(done)", redirectType: .normal)
    }

    func renderPerson(
        _ request: Request, _ people: ManagePeople, id: UUID, notice: String? = nil, errors: [String] = [],
        status: HTTPStatus = .ok, relationshipForm: RelationshipForm? = nil,
        relationshipErrors: [String: String] = [:], proxyForm: ProxyForm? = nil, proxyErrors: [String: String] = [:]
    ) async throws -> Response {
        let person = try await people.person(id)
        let isPatient = person.roles.contains(Role.patient.rawValue)
        let relationships = isPatient ? try await CareRelationships(people: people).list(patient: id) : []
        let proxies = isPatient ? try await ProxyGrants(people: people).list(patient: id) : []
        let providers = isPatient ? try await people.activeProviders() : []
        let actsFor =
            person.roles.contains(Role.proxy.rawValue)
            ? try await ProxyGrants(people: people).actsFor(proxy: id) : []
        let today = people.today.description
        let chosenKind = relationshipForm?.kind ?? CareRelationship.Kind.primaryCare.rawValue
        let page = PersonPage(
            layout: try await LayoutModel.make(request, title: person.displayName), person: person,
            rolesLabel: PeopleListPage.rolesLabel(person.roles),
            actsFor: actsFor.map { PersonPage.ActsFor(patient: $0.patient, grant: $0.grant) }, notice: notice,
            errorSummary: errors.map { ErrorSummaryItem(message: $0, href: nil) },
            isSelf: id == people.actor.userID, isPatient: isPatient,
            offersActivationCode: isPatient && person.username == nil && person.active,
            hasEmail: try await people.queries.person(id)?.email != nil,
            twoFactorOn: try await TwoFactor.status(of: id, on: request.db.sql()) != nil,
            relationships: relationships.map { PersonPage.Relationship($0, today: today) },
            providers: providers.map {
                OptionModel(
                    value: $0.id.uuidString, label: $0.name, detail: nil,
                    selected: relationshipForm?.provider_id?.lowercased() == $0.id.uuidString.lowercased())
            },
            kinds: CareRelationship.Kind.allCases.map {
                OptionModel(
                    value: $0.rawValue, label: PersonPage.kindLabel($0.rawValue), detail: nil,
                    selected: chosenKind == $0.rawValue)
            },
            relationshipForm: [
                "from": relationshipForm?.from ?? today, "until": relationshipForm?.until ?? "",
            ],
            relationshipErrors: relationshipErrors, proxies: proxies,
            proxyRelationships: ProxyGrants.relationships.map {
                OptionModel(
                    value: $0, label: $0.prefix(1).uppercased() + $0.dropFirst(), detail: nil,
                    selected: proxyForm?.relationship == $0)
            },
            proxyForm: [
                "proxy_username": proxyForm?.proxy_username ?? "", "from": proxyForm?.from ?? today,
                "until": proxyForm?.until ?? "",
            ],
            proxyErrors: proxyErrors, today: today)
        return try await request.view.render("admin-person", page).encodeResponse(status: status, for: request)
    }
}
