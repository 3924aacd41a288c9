import Domain
import Foundation
import SQLKit

/// Writes the notifications to send into the outbox (`notifications`), in the transaction of what they are about, so a
/// message is never committed without its notices nor a notice without its message. `NotificationDelivery` sends them.
///
/// Who is told (docs/notifications.md): of a message from the care team, the people on the patient side who may see
/// the conversation today and want to hear right away: the patient, and the proxies in force for the patient unless
/// the conversation is confidential. Never the writer. The care team hears through the daily summary instead.
struct NotificationOutbox {
    let sql: any SQLDatabase
    let organization: OrganizationSettings
    let now: Date
    let today: CalendarDate

    /// Messages in one conversation within this long of a notice make no notice of their own.
    static let coalescingWindow: TimeInterval = 15 * 60

    /// A notice to each person on the patient side who wants one now, unless one about this conversation is still
    /// waiting to go or went out less than 15 minutes ago. Called for a message that opened a notice window
    /// (`MessagingStore.Appended`): the replies inside the window never come here, and make no notice. The
    /// conversation row is locked by the message written before this, so two replies at once cannot both open a
    /// window, and `confidential` is as of this write.
    func careTeamWrote(in conversationID: UUID, patient: UUID, confidential: Bool, writer: UUID) async throws {
        let windowStart = now.addingTimeInterval(-Self.coalescingWindow)
        // The conversation's patient and the proxies in force for that patient, found by key: PostgreSQL plans this in
        // a fifth of the time a query through the conversation took (2 ms, on every care-team reply; bench/RESULTS.md).
        guard let onPatientSide = Self.patientSide(of: patient, confidential: confidential, organization, today: today)
        else { return }
        // The recent-notice test is here as well as in the insert, so that a notice still waiting to go (the SMTP
        // server down for longer than a window) costs this one statement and is not doubled.
        let people = try await sql.raw(
            """
            SELECT users.id FROM users WHERE \(onPatientSide) \
            AND users.organization_id = \(bind: organization.id) AND users.id <> \(bind: writer) \
            AND users.email IS NOT NULL AND users.deactivated_at IS NULL \
            AND users.message_notices = \(bind: MessageNotices.immediately.rawValue) \
            AND NOT EXISTS (SELECT 1 FROM notifications WHERE notifications.user_id = users.id \
            AND notifications.conversation_id = \(bind: conversationID) \
            AND (notifications.status = \(bind: NotificationStatus.pending.rawValue) \
            OR notifications.created_at > \(bind: windowStart)))
            """
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
        for person in people {
            try await sql.raw(
                """
                INSERT INTO notifications (id, organization_id, user_id, kind, conversation_id, status, created_at, \
                due_at, attempts) SELECT \(bind: UUID()), \(bind: organization.id), \(bind: person), \
                \(bind: NotificationKind.newMessage.rawValue), \(bind: conversationID), \
                \(bind: NotificationStatus.pending.rawValue), \(bind: now), \(bind: now), 0 \
                WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE user_id = \(bind: person) \
                AND conversation_id = \(bind: conversationID) \
                AND (status = \(bind: NotificationStatus.pending.rawValue) OR created_at > \(bind: windowStart)))
                """
            ).run()
        }
    }

    /// A security notice that `user`'s password was changed, when they have an address: whatever they chose for
    /// messages, and in the change's transaction like every notice.
    static func passwordChanged(of user: UUID, organization: UUID, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO notifications (id, organization_id, user_id, kind, status, created_at, due_at, attempts) \
            SELECT \(bind: UUID()), \(bind: organization), users.id, \(bind: NotificationKind.passwordChanged.rawValue), \
            \(bind: NotificationStatus.pending.rawValue), \(bind: now), \(bind: now), 0 FROM users \
            WHERE users.id = \(bind: user) AND users.email IS NOT NULL
            """
        ).run()
    }

    /// The day's summaries, once per organisation and day however many servers try: the one whose `notification_runs`
    /// row goes in writes them, in the same transaction. Answers how many it wrote (nil: another server had the day).
    ///
    /// Patients and proxies who chose the summary hear whether messages came since the last summaries that they have not
    /// read;
    /// care-team members who chose theirs hear how many of their conversations are open and how many overdue.
    func dailySummaries() async throws -> Int? {
        let taken = try await sql.raw(
            """
            INSERT INTO notification_runs (organization_id, run_date, created_at) \
            VALUES (\(bind: organization.id), \(bind: today.description), \(bind: now)) \
            ON CONFLICT DO NOTHING RETURNING run_date
            """
        ).all()
        guard !taken.isEmpty else { return nil }
        var written = 0
        // News since the last summaries went out, or in the last day for the first.
        let previous = try await sql.raw(
            """
            SELECT MAX(created_at) AS previous FROM notification_runs \
            WHERE organization_id = \(bind: organization.id) AND run_date < \(bind: today.description)
            """
        ).first()?.decode(column: "previous", as: Date?.self)
        let since = previous ?? now.addingTimeInterval(-24 * 3600)
        let patientSide = try await sql.raw(
            """
            SELECT users.id FROM users WHERE users.organization_id = \(bind: organization.id) \
            AND users.email IS NOT NULL AND users.deactivated_at IS NULL \
            AND users.message_notices = \(bind: MessageNotices.dailySummary.rawValue) \
            AND EXISTS (SELECT 1 FROM conversations LEFT JOIN conversation_states \
            ON conversation_states.conversation_id = conversations.id AND conversation_states.user_id = users.id \
            WHERE conversations.organization_id = \(bind: organization.id) \
            AND conversations.last_care_team_message_at > \(bind: since) \
            AND conversations.last_care_team_seq > COALESCE(conversation_states.last_read_seq, 0) \
            AND \(Self.patientSideMayRead(organization, today: today)))
            """
        ).all()
        for row in patientSide {
            try await insertSummary(for: try row.decode(column: "id", as: UUID.self), open: nil, overdue: nil)
            written += 1
        }
        guard !organization.messagingRoles.isDisjoint(with: [.provider, .staff]), organization.messagingEnabled else {
            return written
        }
        let work = Self.careTeamWorks
        let careTeam = try await sql.raw(
            """
            SELECT users.id, \
            (SELECT COUNT(*) FROM conversations WHERE conversations.organization_id = \(bind: organization.id) \
            AND conversations.status = \(bind: Conversation.Status.open.rawValue) AND \(work)) AS open_count, \
            (SELECT COUNT(*) FROM conversations WHERE conversations.organization_id = \(bind: organization.id) \
            AND \(MessagingStore.overdueSQL(today: today)) AND \(work)) AS overdue_count \
            FROM users WHERE users.organization_id = \(bind: organization.id) AND users.care_team_summary = \(bind: true) \
            AND users.email IS NOT NULL AND users.deactivated_at IS NULL \
            AND EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = users.id \
            AND user_roles.role IN (\(binds: [Role.provider, .staff].filter(organization.messagingRoles.contains).map(\.rawValue))))
            """
        ).all()
        for row in careTeam {
            let open = try row.decode(column: "open_count", as: Int.self)
            guard open > 0 else { continue }
            try await insertSummary(
                for: try row.decode(column: "id", as: UUID.self), open: open,
                overdue: try row.decode(column: "overdue_count", as: Int.self))
            written += 1
        }
        return written
    }

    private func insertSummary(for person: UUID, open: Int?, overdue: Int?) async throws {
        try await sql.raw(
            """
            INSERT INTO notifications (id, organization_id, user_id, kind, summary_date, open_count, overdue_count, \
            status, created_at, due_at, attempts) VALUES (\(bind: UUID()), \(bind: organization.id), \(bind: person), \
            \(bind: NotificationKind.dailySummary.rawValue), \(bind: today.description), \(bind: open), \
            \(bind: overdue), \(bind: NotificationStatus.pending.rawValue), \(bind: now), \(bind: now), 0) \
            ON CONFLICT DO NOTHING
            """
        ).run()
    }

    // MARK: Who may read

    /// `users` may read the joined `conversations` row from the patient side today: it is theirs and the organisation
    /// opens messaging to patients, or they hold a proxy grant in force for its patient, the organisation opens
    /// messaging to proxies, and it is not confidential. What `AccessScope.patientSide` says from the reader's end.
    static func patientSideMayRead(_ organization: OrganizationSettings, today: CalendarDate) -> SQLQueryString {
        guard organization.messagingEnabled else { return "1 = 0" }
        var branches: [SQLQueryString] = []
        if organization.messagingRoles.contains(.patient) {
            branches.append("(users.id = conversations.patient_id AND \(hasRole(.patient)))")
        }
        if organization.messagingRoles.contains(.proxy) {
            branches.append(
                """
                (conversations.confidential = \(bind: false) AND \(hasRole(.proxy)) AND EXISTS (SELECT 1 \
                FROM proxy_grants WHERE proxy_grants.proxy_id = users.id \
                AND proxy_grants.patient_id = conversations.patient_id \
                AND proxy_grants.active_from <= \(bind: today.description) \
                AND (proxy_grants.active_until IS NULL OR proxy_grants.active_until >= \(bind: today.description))))
                """)
        }
        return AccessScope.any(branches) ?? "1 = 0"
    }

    /// `users` may read a conversation of `patient` from the patient side today, said without the conversation row:
    /// the patient, when the organisation opens messaging to patients; the proxies in force for the patient, when it
    /// opens messaging to proxies and the conversation is not confidential. Nil when no one may.
    /// `patientSideMayRead` says the same for a joined row.
    ///
    /// The people are listed by key (`users.id IN (… UNION ALL …)`), so PostgreSQL reads the patient's roles and
    /// grants by index and then those few users. The same test as an OR over `users` read every user of the database
    /// on each care-team reply (bench/RESULTS.md).
    static func patientSide(
        of patient: UUID, confidential: Bool, _ organization: OrganizationSettings, today: CalendarDate
    ) -> SQLQueryString? {
        guard organization.messagingEnabled else { return nil }
        var people: [SQLQueryString] = []
        if organization.messagingRoles.contains(.patient) {
            people.append(
                """
                SELECT user_roles.user_id FROM user_roles WHERE user_roles.user_id = \(bind: patient) \
                AND user_roles.role = \(bind: Role.patient.rawValue)
                """)
        }
        if organization.messagingRoles.contains(.proxy), !confidential {
            people.append(
                """
                SELECT proxy_grants.proxy_id FROM proxy_grants JOIN user_roles \
                ON user_roles.user_id = proxy_grants.proxy_id AND user_roles.role = \(bind: Role.proxy.rawValue) \
                WHERE proxy_grants.patient_id = \(bind: patient) \
                AND proxy_grants.active_from <= \(bind: today.description) \
                AND (proxy_grants.active_until IS NULL OR proxy_grants.active_until >= \(bind: today.description))
                """)
        }
        guard !people.isEmpty else { return nil }
        return "users.id IN (" + people.joined(separator: " UNION ALL ") + ")"
    }

    /// `users` works on the joined `conversations` row: addressed to them, to one of their pools, or assigned to them.
    static let careTeamWorks: SQLQueryString = """
        (conversations.recipient_provider_id = users.id OR conversations.assignee_id = users.id \
        OR conversations.recipient_pool_id IN (SELECT pool_id FROM pool_members WHERE pool_members.user_id = users.id))
        """

    private static func hasRole(_ role: Role) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = users.id AND user_roles.role = \(bind: role.rawValue))"
    }
}

extension MessagingStore {
    /// In the transaction of a message from the care team: the patient side's notices (none when this server sends
    /// no email).
    func noticeToPatientSide(of conversationID: UUID, patient: UUID, confidential: Bool) async throws {
        guard context.emailsNotices else { return }
        try await NotificationOutbox(
            sql: sql, organization: context.organization, now: context.now, today: context.today
        )
        .careTeamWrote(in: conversationID, patient: patient, confidential: confidential, writer: scope.userID)
    }
}
