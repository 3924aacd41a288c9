import Domain
import Fluent
import Vapor

/// Sharing (docs/accounts.md), reached from the header by patients: who can act for them, stopping it at once, and
/// inviting someone by email. Anyone who is not a patient gets 404. A patient under 18 is told to ask the clinic: a
/// grant for a minor is made by an administrator.
struct SharingController: RouteCollection {
    static let path = "/sharing"

    func boot(routes: any RoutesBuilder) throws {
        let sharing = routes.grouped("sharing")
        sharing.get(use: show)
        sharing.post("invitations", use: invite)
        sharing.post("invitations", ":invitationID", "cancel", use: cancel)
        sharing.post("proxies", ":grantID", "revoke", use: revoke)
    }

    struct InviteForm: Content {
        var email: String?
        var relationship: String?
    }

    struct VersionForm: Content {
        var version: Int?
    }

    struct Page: Encodable {
        struct Proxy: Encodable {
            let grant: AdminProxyGrantResponse
            let relationship: String
            /// "Since …", "From … (not yet)", with "until …" when it ends.
            let period: String
        }

        struct Invitation: Encodable {
            let id: UUID
            let email: String
            let relationship: String
            let until: String
        }

        let layout: LayoutModel
        let proxies: [Proxy]
        let invitations: [Invitation]
        let relationships: [OptionModel]
        let canInvite: Bool
        let isMinor: Bool
        let email: String
        let notice: String?
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
    }

    static let notices = [
        "invited": "The invitation was sent. It works for 14 days; you can cancel it until it is accepted.",
        "cancelled": "The invitation was cancelled: its link no longer works.",
        "revoked": "Sharing has stopped. They can no longer see or send your messages.",
    ]

    /// The signed-in patient, with their organisation's today; 404 for anyone else.
    private struct Patient {
        let user: SignedInUser
        let people: ManagePeople
        let calendar: BusinessCalendar?
        let birthDate: String?
        let email: String?

        var isMinor: Bool {
            guard let born = birthDate.flatMap(CalendarDate.init) else { return false }
            let today = people.today
            let age = today.year - born.year - ((today.month, today.day) < (born.month, born.day) ? 1 : 0)
            return age < 18
        }
    }

    private func patient(_ request: Request) async throws -> Patient {
        let user = try request.signedInUser
        guard user.roles.contains(.patient) else { throw Abort(.notFound) }
        let people = try await request.managePeople(
            acting: AdminActor(
                userID: user.id, organizationID: user.organizationID, now: request.now,
                address: request.clientAddress))
        let calendar = try await request.application.organizations.entry(
            for: user.organizationID, at: request.now, on: request.db)?.calendar
        let record = try await User.find(user.id, on: request.db)
        return Patient(
            user: user, people: people, calendar: calendar, birthDate: record?.birthDate, email: record?.email)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { Self.notices[$0] }
        return try await render(request, try await patient(request), notice: notice)
    }

    @Sendable func invite(request: Request) async throws -> Response {
        let patient = try await patient(request)
        let form = try request.content.decode(InviteForm.self)
        var errors: [String: String] = [:]
        var email: String?
        email = try? NotificationPreferences.cleanEmail(form.email)
        if email == nil {
            errors["email"] = "Enter the email address of the person you are inviting, such as name@example.org."
        } else if email?.lowercased() == patient.email?.lowercased() {
            errors["email"] = "That is your own address. Enter the address of the person you are inviting."
        }
        let relationship = form.relationship ?? ""
        if !ProxyGrants.relationships.contains(relationship) {
            errors["relationship"] = "Choose how they are related to you."
        }
        let (now, sql) = (request.now, request.db.sql())
        if request.application.emailNotifications == nil {
            errors["email"] = "Invitations cannot be emailed here. Ask your clinic to set up proxy access."
        } else if patient.isMinor {
            errors["email"] = "Ask your clinic to set up proxy access."
        } else if try await ProxyInvitations.waiting(for: patient.user.id, at: now, on: sql).count
            >= ProxyInvitations.maximumWaiting
        {
            errors["email"] = "You have \(ProxyInvitations.maximumWaiting) invitations waiting. Cancel one first."
        }
        guard errors.isEmpty, let email else {
            return try await render(
                request, patient, email: form.email ?? "", relationship: relationship, errors: errors,
                status: .unprocessableEntity)
        }
        let (user, address) = (patient.user, request.clientAddress)
        try await request.application.writes.transaction(on: request.db) { db in
            let id = try await ProxyInvitations.invite(
                patient: user.id, organization: user.organizationID, email: email, relationship: relationship, at: now,
                on: db.sql())
            try await AuditLog.append(
                AuditEntry(
                    action: "proxy_invitation.create", recordType: "proxy_invitation", recordID: id,
                    change: AuditChange(before: nil, after: ["relationship": relationship, "email": "set"])),
                context: AuditContext(
                    organizationID: user.organizationID, actorID: user.id, actingForID: user.id, address: address),
                at: now, on: db)
        }
        return request.redirect(to: Self.path + "?done=invited", redirectType: .normal)
    }

    @Sendable func cancel(request: Request) async throws -> Response {
        let patient = try await patient(request)
        guard let id = request.parameters.get("invitationID", as: UUID.self) else { throw Abort(.notFound) }
        let (user, now, address) = (patient.user, request.now, request.clientAddress)
        let cancelled = try await request.application.writes.transaction(on: request.db) { db in
            guard try await ProxyInvitations.cancel(id, patient: user.id, at: now, on: db.sql()) else { return false }
            try await AuditLog.append(
                AuditEntry(action: "proxy_invitation.cancel", recordType: "proxy_invitation", recordID: id),
                context: AuditContext(
                    organizationID: user.organizationID, actorID: user.id, actingForID: user.id, address: address),
                at: now, on: db)
            return true
        }
        guard cancelled else { throw Abort(.notFound) }
        return request.redirect(to: Self.path + "?done=cancelled", redirectType: .normal)
    }

    @Sendable func revoke(request: Request) async throws -> Response {
        let patient = try await patient(request)
        guard let id = request.parameters.get("grantID", as: UUID.self) else { throw Abort(.notFound) }
        let version = try request.content.decode(VersionForm.self).version ?? 0
        do {
            _ = try await ProxyGrants(people: patient.people).revoke(
                id, patient: patient.user.id, version: version, action: "proxy_grant.revoke")
        } catch let refusal as AdministrationError where refusal.status != .notFound {
            return try await render(
                request, patient, errors: ["form": refusal.message], status: refusal.status)
        } catch is AdministrationError {
            throw Abort(.notFound)
        }
        return request.redirect(to: Self.path + "?done=revoked", redirectType: .normal)
    }

    private func render(
        _ request: Request, _ patient: Patient, notice: String? = nil, email: String = "", relationship: String = "",
        errors: [String: String] = [:], status: HTTPStatus = .ok
    ) async throws -> Response {
        let today = patient.people.today
        let grants = try await ProxyGrants(people: patient.people).list(patient: patient.user.id).filter {
            ($0.until.flatMap(CalendarDate.init) ?? today) >= today
        }
        let day = { (date: Date) in (patient.calendar?.day(of: date) ?? today).spelledOut }
        let invitations = try await ProxyInvitations.waiting(
            for: patient.user.id, at: request.now, on: request.db.sql())
        let page = Page(
            layout: try await LayoutModel.make(request, title: "Sharing"),
            proxies: grants.map { grant in
                let from = CalendarDate(grant.from) ?? today
                var period = from > today ? "From \(from.spelledOut) (not yet)" : "Since \(from.spelledOut)"
                if let until = grant.until.flatMap(CalendarDate.init) { period += ", until \(until.spelledOut)" }
                return Page.Proxy(grant: grant, relationship: grant.relationship.capitalized, period: period)
            },
            invitations: invitations.map {
                Page.Invitation(
                    id: $0.id, email: $0.email, relationship: $0.relationship.capitalized, until: day($0.expiresAt))
            },
            relationships: ProxyGrants.relationships.map {
                OptionModel(value: $0, label: $0.capitalized, detail: nil, selected: $0 == relationship)
            },
            canInvite: !patient.isMinor && request.application.emailNotifications != nil,
            isMinor: patient.isMinor, email: email, notice: notice, errors: errors,
            errorSummary: ErrorSummaryItem.list(errors, order: ["form", "email", "relationship"]))
        return try await request.view.render("sharing", page).encodeResponse(status: status, for: request)
    }
}
