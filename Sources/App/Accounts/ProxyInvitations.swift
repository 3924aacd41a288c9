import Domain
import Fluent
import Foundation
import SQLKit

/// A patient inviting someone by email to act for them (docs/accounts.md, "Sharing"). The invitation and its email
/// are written in one transaction; the server that sends the email makes the link's secret, so only its hash is kept.
/// The link works for 14 days, once: whoever follows it signs in or makes an account, and the grant starts that day.
enum ProxyInvitations {
    static let lifetime: TimeInterval = 14 * 86_400
    /// More than this many invitations waiting, and the patient must cancel one first: the form is not a way to send
    /// email to anyone without limit.
    static let maximumWaiting = 5

    struct Waiting {
        let id: UUID
        let email: String
        let relationship: String
        let expiresAt: Date
    }

    /// The patient's invitations not yet accepted, cancelled or run out, newest first.
    static func waiting(for patient: UUID, at now: Date, on sql: any SQLDatabase) async throws -> [Waiting] {
        try await sql.raw(
            """
            SELECT id, email, relationship, expires_at FROM proxy_invitations WHERE patient_id = \(bind: patient) \
            AND accepted_at IS NULL AND cancelled_at IS NULL AND expires_at > \(bind: now) ORDER BY created_at DESC
            """
        ).all().map {
            Waiting(
                id: try $0.decode(column: "id", as: UUID.self), email: try $0.decode(column: "email", as: String.self),
                relationship: try $0.decode(column: "relationship", as: String.self),
                expiresAt: try $0.decode(column: "expires_at", as: Date.self))
        }
    }

    /// Writes an invitation and its email, in the caller's transaction. One still waiting for the same address is
    /// cancelled: the newest email is the one that works.
    static func invite(
        patient: UUID, organization: UUID, email: String, relationship: String, at now: Date, on sql: any SQLDatabase
    ) async throws -> UUID {
        try await sql.raw(
            """
            UPDATE proxy_invitations SET cancelled_at = \(bind: now) WHERE patient_id = \(bind: patient) \
            AND LOWER(email) = \(bind: email.lowercased()) AND accepted_at IS NULL AND cancelled_at IS NULL
            """
        ).run()
        let (id, notification) = (UUID(), UUID())
        try await sql.raw(
            """
            INSERT INTO notifications (id, organization_id, user_id, kind, status, created_at, due_at, attempts) \
            VALUES (\(bind: notification), \(bind: organization), \(bind: patient), \
            \(bind: NotificationKind.proxyInvitation.rawValue), \(bind: NotificationStatus.pending.rawValue), \
            \(bind: now), \(bind: now), 0)
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO proxy_invitations (id, organization_id, patient_id, email, relationship, notification_id, \
            created_at, expires_at) VALUES (\(bind: id), \(bind: organization), \(bind: patient), \(bind: email), \
            \(bind: relationship), \(bind: notification), \(bind: now), \(bind: now.addingTimeInterval(lifetime)))
            """
        ).run()
        return id
    }

    /// Cancels one of the patient's waiting invitations; false when there is no such one.
    static func cancel(_ id: UUID, patient: UUID, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        !(try await sql.raw(
            """
            UPDATE proxy_invitations SET cancelled_at = \(bind: now) WHERE id = \(bind: id) \
            AND patient_id = \(bind: patient) AND accepted_at IS NULL AND cancelled_at IS NULL RETURNING id
            """
        ).all()).isEmpty
    }

    /// Where the invitation waiting on `notification` is to go, while it can still be accepted and its patient is
    /// active.
    static func address(for notification: UUID, at now: Date, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw(
            """
            SELECT proxy_invitations.email FROM proxy_invitations JOIN users ON users.id = proxy_invitations.patient_id \
            WHERE proxy_invitations.notification_id = \(bind: notification) AND \(link.stillOpen(now)) \
            AND users.deactivated_at IS NULL
            """
        ).first()?.decode(column: "email", as: String.self)
    }

    /// An invitation's link, made when its email is sent: usable while not accepted, not cancelled and in time.
    static let link = EmailedSecret(table: "proxy_invitations", hashColumn: "token_hash") {
        "accepted_at IS NULL AND cancelled_at IS NULL AND expires_at > \(bind: $0)"
    }

    struct Open {
        let id: UUID
        let organizationID: UUID
        let patientID: UUID
        let patientName: String
        let relationship: String
        let email: String
    }

    /// The invitation a link is for, while it can be accepted and its patient is active.
    static func open(_ token: String, at now: Date, on sql: any SQLDatabase) async throws -> Open? {
        guard !token.isEmpty, token.count <= 100,
            let row = try await sql.raw(
                """
                SELECT proxy_invitations.id, proxy_invitations.organization_id, proxy_invitations.patient_id, \
                users.name, users.title, users.credentials, proxy_invitations.relationship, proxy_invitations.email \
                FROM proxy_invitations JOIN users ON users.id = proxy_invitations.patient_id \
                WHERE proxy_invitations.token_hash = \(bind: SessionStore.hash(token)) \
                AND \(link.stillOpen(now)) AND users.deactivated_at IS NULL
                """
            ).first()
        else { return nil }
        return Open(
            id: try row.decode(column: "id", as: UUID.self),
            organizationID: try row.decode(column: "organization_id", as: UUID.self),
            patientID: try row.decode(column: "patient_id", as: UUID.self),
            patientName: PersonName(
                name: try row.decode(column: "name", as: String.self),
                title: try row.decode(column: "title", as: String?.self),
                credentials: try row.decode(column: "credentials", as: String?.self)
            ).displayName,
            relationship: try row.decode(column: "relationship", as: String.self),
            email: try row.decode(column: "email", as: String.self))
    }

    /// Accepts the invitation for `proxy`, in the caller's transaction: of two acceptances at once only one finds it
    /// open. The grant starts `today`, and the proxy gets the proxy role if they lack it. False when it was no longer
    /// open.
    static func accept(_ invitation: Open, by proxy: UUID, today: CalendarDate, at now: Date, on db: any Database)
        async throws -> Bool
    {
        let sql = db.sql()
        let taken = try await sql.raw(
            """
            UPDATE proxy_invitations SET accepted_at = \(bind: now), accepted_by_id = \(bind: proxy) \
            WHERE id = \(bind: invitation.id) AND \(link.stillOpen(now)) RETURNING id
            """
        ).all()
        guard !taken.isEmpty else { return false }
        let grants = try await ProxyGrant.query(on: db).filter(\.$proxy.$id == proxy)
            .filter(\.$patient.$id == invitation.patientID).all()
        let inForce = grants.contains { ($0.activeUntil.flatMap(CalendarDate.init) ?? today) >= today }
        if !inForce {
            try await ProxyGrant(
                organizationID: invitation.organizationID, proxyID: proxy, patientID: invitation.patientID,
                relationship: invitation.relationship, period: ActivePeriod(from: today)
            ).create(on: db)
        }
        let isProxy = try await UserRole.query(on: db).filter(\.$user.$id == proxy).filter(\.$role == .proxy).count()
        if isProxy == 0 { try await UserRole(userID: proxy, role: .proxy).create(on: db) }
        return true
    }
}
