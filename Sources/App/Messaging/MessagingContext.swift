import Domain
import Fluent
import Vapor

/// Everything messaging needs to know about who is acting, resolved once per request: the user, their proxy grants in
/// force today and their pools, and their organisation's calendar. Messaging that is switched off for the organisation
/// or this kind of account answers 404, as if it did not exist; and a login with several roles acts only in those the
/// organisation opened messaging to (with `proxy` closed, a parent still reads their own messages, not their child's).
struct MessagingContext: Sendable {
    let user: SignedInUser
    let actor: MessagingActor
    let organization: OrganizationSettings
    let calendar: BusinessCalendar
    let messageTypes: [MessageTypeSettings]
    let now: Date
    let address: String?
    /// Whether this server sends email notifications, so a message's transaction writes them to the outbox.
    var emailsNotices = false
    /// Where committed changes are announced to open pages (nil in tests of the store built without a server).
    var liveUpdates: LiveUpdates?

    var today: CalendarDate { calendar.day(of: now) }
    var userID: UUID { user.id }

    static func resolve(for request: Request) async throws -> MessagingContext {
        var context = try await resolve(
            user: try request.signedInUser, organizations: request.application.organizations, at: request.now,
            from: request.clientAddress, on: request.db)
        context.emailsNotices = request.application.emailNotifications != nil
        context.liveUpdates = request.application.liveUpdates
        return context
    }

    /// The context of `user` acting at `time`: what a request resolves, and what tests of the store build directly.
    static func resolve(
        user: SignedInUser, organizations: OrganizationCache, at time: Date, from address: String?, on db: any Database
    ) async throws -> MessagingContext {
        guard
            let organization = try await organizations.entry(for: user.organizationID, at: time, on: db),
            organization.settings.messagingAvailable(to: user.roles)
        else { throw MessagingError.notFound }
        let roles = user.roles.intersection(organization.settings.messagingRoles)
        let calendar = organization.calendar
        // Whole milliseconds: what is stored is then exactly what is compared and paged by.
        let now = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        let today = calendar.day(of: now)

        var proxyFor: Set<UserID> = []
        if roles.contains(.proxy) {
            let grants = try await ProxyGrant.query(on: db).filter(\.$proxy.$id == user.id).all()
            for grant in grants {
                guard let from = CalendarDate(grant.activeFrom) else { continue }
                let period = ActivePeriod(from: from, until: grant.activeUntil.flatMap(CalendarDate.init))
                if period.isWellFormed && period.contains(today) { proxyFor.insert(UserID(grant.$patient.id)) }
            }
        }
        let pools =
            roles.contains(where: \.isCareTeam)
            ? try await PoolMember.query(on: db).filter(\.$user.$id == user.id).all(\.$pool.$id) : []

        return MessagingContext(
            user: user,
            actor: MessagingActor(
                userID: UserID(user.id), roles: roles, proxyFor: proxyFor, pools: Set(pools.map(PoolID.init))),
            organization: organization.settings, calendar: calendar, messageTypes: organization.messageTypes, now: now,
            address: address)
    }

    var scope: AccessScope { AccessScope(organizationID: organization.id, actor: actor) }

    var auditContext: AuditContext {
        AuditContext(organizationID: user.organizationID, actorID: user.id, actingForID: nil, address: address)
    }

    func audit(
        _ action: String, _ recordType: String, _ recordID: UUID?, actingFor patient: UUID?,
        outcome: String = "success", on db: any Database
    ) async throws {
        let context = AuditContext(
            organizationID: user.organizationID, actorID: user.id, actingForID: patient == user.id ? nil : patient,
            address: address)
        try await AuditLog.append(
            AuditEntry(action: action, recordType: recordType, recordID: recordID, outcome: outcome), context: context,
            at: now, on: db)
    }
}

/// The organisation's messaging settings as a value, so services need not hold a Fluent model.
struct OrganizationSettings: Sendable {
    let id: UUID
    let name: String
    let responseBusinessDays: Int
    let replyNotice: String
    let urgentNotice: String
    let attachmentLimits: AttachmentLimits
    /// How many bytes of attachments one person may have stored.
    let attachmentQuotaBytes: Int
    let messagingEnabled: Bool
    let messagingRoles: Set<Role>
    /// The From address of its notification emails, when it has one of its own.
    let notificationFrom: String?
    /// What its new-message emails say, when it has chosen its own words.
    let notificationText: String?

    init(_ organization: Organization) {
        id = organization.id!
        name = organization.name
        responseBusinessDays = organization.responseBusinessDays
        replyNotice = organization.replyNotice
        messagingEnabled = organization.messagingEnabled
        messagingRoles = organization.messagingRoles
        urgentNotice = organization.urgentNotice
        let allowed = organization.attachmentContentTypes.split(separator: ",").map(String.init)
        attachmentLimits = AttachmentLimits(
            maxFiles: organization.attachmentMaxFiles, maxFileBytes: organization.attachmentMaxFileBytes,
            maxMessageBytes: organization.attachmentMaxMessageBytes,
            allowed: Set(AttachmentKind.allCases.filter { allowed.contains($0.contentType) }))
        attachmentQuotaBytes = organization.attachmentQuotaBytes
        notificationFrom = organization.notificationFrom
        notificationText = organization.notificationText
    }

    /// Whether a user with these roles may use messaging at all; when not, every messaging route answers 404.
    func messagingAvailable(to roles: Set<Role>) -> Bool {
        messagingEnabled && !roles.isDisjoint(with: messagingRoles)
    }
}
