import Domain
import Foundation
import SQLKit

/// A conversation about to be started, as plain values.
struct NewConversation: Sendable {
    let id: UUID
    let patient: UUID
    let typeID: UUID
    let recipient: Recipient
    let subject: String?
    let confidential: Bool
    let side: ConversationSide
    let expectedReplyBy: CalendarDate
}

/// A message about to be written, as plain values.
struct NewMessage: Sendable {
    let id: UUID
    let conversationID: UUID
    let side: ConversationSide
    let body: RichTextDocument
    let idempotencyKey: String?
    /// With an idempotency key: the hash of the request, which a retry must match.
    var requestHash: String? = nil
}

extension MessagingStore {
    /// Inserts a conversation and its first message (number 1). One the care team starts is assigned to its writer:
    /// the patient's answer comes back to them, and it is not unassigned work in anyone's Open queue meanwhile.
    func insert(_ new: NewConversation, firstMessage: NewMessage) async throws {
        let now = context.now
        let (provider, pool) = Self.columns(new.recipient)
        let careTeam = new.side == .careTeam
        let search = searchIndex.conversationColumn
        try await sql.raw(
            """
            INSERT INTO conversations (id, organization_id, patient_id, message_type_id, subject, \
            recipient_provider_id, recipient_pool_id, confidential, status, started_by_id, started_side, created_at, \
            last_message_at, expected_reply_by, version, last_patient_message_at, last_care_team_message_at, \
            last_message_seq, last_patient_seq, last_care_team_seq, care_team_read_seq, patient_side_told_at, \
            assignee_id\(search?.name ?? "")) VALUES (\(bind: new.id), \(bind: scope.organizationID), \(bind: new.patient), \(bind: new.typeID), \
            \(bind: new.subject), \(bind: provider), \(bind: pool), \(bind: new.confidential), \
            \(bind: Conversation.Status.open.rawValue), \(bind: scope.userID), \(bind: new.side.rawValue), \
            \(bind: now), \(bind: now), \(bind: new.expectedReplyBy.description), 1, \
            \(bind: careTeam ? nil : now), \(bind: careTeam ? now : nil), 1, \(bind: careTeam ? 0 : 1), \
            \(bind: careTeam ? 1 : 0), 0, \(bind: careTeam ? now : nil), \(bind: careTeam ? scope.userID : nil)\
            \(search?.value ?? ""))
            """
        ).run()
        try await insertMessage(firstMessage, seq: 1)
        try await searchIndex.add(new.id, subject: new.subject, text: firstMessage.body.plainText)
    }

    /// A message added to a conversation: its number, whether the conversation is confidential as of the write, and
    /// whether it opened a notice window for the patient side.
    struct Appended {
        let seq: Int
        let confidential: Bool
        /// From the care team, and no message of theirs opened a window in the last 15 minutes: the patient side may
        /// be due a notice (`NotificationOutbox`). Inside a window no one is, and the send runs no outbox statement.
        let opensNoticeWindow: Bool
    }

    /// Adds a message to a conversation and answers with its number. The conversation row is updated first, which
    /// locks it: concurrent replies are numbered in the order they commit, and the confidentiality it answers with
    /// cannot change before the transaction ends. A message from the patient side moves the expected reply date and
    /// reopens a conversation marked Done (docs/care-team.md). A message from the care team opens a notice window
    /// when the last one closed: the same statement moves `patient_side_told_at` and answers whether it moved.
    func append(_ message: NewMessage, expectedReplyBy: CalendarDate) async throws -> Appended {
        let now = context.now
        let lastAt = greatest("last_message_at", "\(bind: now)")
        let windowStart = now.addingTimeInterval(-NotificationOutbox.coalescingWindow)
        let update: SQLQueryString =
            message.side == .careTeam
            ? """
            UPDATE conversations SET last_message_seq = last_message_seq + 1, \
            last_care_team_seq = last_message_seq + 1, last_message_at = \(lastAt), \
            last_care_team_message_at = \(bind: now), patient_side_told_at = CASE \
            WHEN patient_side_told_at > \(bind: windowStart) THEN patient_side_told_at ELSE \(bind: now) END \
            WHERE id = \(bind: message.conversationID) \
            RETURNING last_message_seq, confidential, patient_side_told_at = \(bind: now) AS opens_notice_window
            """
            : """
            UPDATE conversations SET last_message_seq = last_message_seq + 1, \
            last_patient_seq = last_message_seq + 1, last_message_at = \(lastAt), \
            last_patient_message_at = \(bind: now), expected_reply_by = \(bind: expectedReplyBy.description), \
            done_at = NULL, status = \(bind: Conversation.Status.open.rawValue) \
            WHERE id = \(bind: message.conversationID) RETURNING last_message_seq, confidential
            """
        guard let row = try await sql.raw(update).first() else { throw MessagingError.notFound }
        let appended = Appended(
            seq: try row.decode(column: "last_message_seq", as: Int.self),
            confidential: try row.decode(column: "confidential", as: Bool.self),
            opensNoticeWindow: message.side == .careTeam
                ? try row.decode(column: "opens_notice_window", as: Bool.self) : false)
        try await insertMessage(message, seq: appended.seq)
        try await searchIndex.append(message.conversationID, text: message.body.plainText)
        return appended
    }

    private func insertMessage(_ message: NewMessage, seq: Int) async throws {
        try await sql.raw(
            """
            INSERT INTO messages (id, conversation_id, author_id, side, body, body_text, created_at, idempotency_key, \
            seq, request_hash) VALUES (\(bind: message.id), \(bind: message.conversationID), \(bind: scope.userID), \
            \(bind: message.side.rawValue), \(bind: message.body.json), \(bind: message.body.plainText), \
            \(bind: context.now), \(bind: message.idempotencyKey), \(bind: seq), \(bind: message.requestHash))
            """
        ).run()
    }

    /// The message as written, without reading it back.
    func written(_ message: NewMessage, seq: Int) -> Message {
        let written = Message()
        written.id = message.id
        written.$conversation.id = message.conversationID
        written.$author.id = scope.userID
        written.side = message.side
        written.body = message.body.json
        written.bodyText = message.body.plainText
        written.createdAt = context.now
        written.idempotencyKey = message.idempotencyKey
        written.seq = seq
        written.requestHash = message.requestHash
        return written
    }

    static func columns(_ recipient: Recipient?) -> (provider: UUID?, pool: UUID?) {
        switch recipient {
        case .provider(let id): (id.uuid, nil)
        case .pool(let id): (nil, id.uuid)
        case nil: (nil, nil)
        }
    }

    // MARK: Read state

    /// Records that the actor has had the conversation in front of them up to its latest message, and answers with
    /// that message's number. A care-team member's read is also the patient's "Read by care team". The conversation
    /// row is touched first, then the read state, as every write path does.
    func markRead(_ id: UUID, byCareTeam: Bool) async throws -> Int {
        if byCareTeam {
            guard
                let seq = try await sql.raw(
                    """
                    UPDATE conversations SET care_team_read_at = \(bind: context.now), \
                    care_team_read_seq = last_message_seq WHERE id = \(bind: id) RETURNING last_message_seq
                    """
                ).first()?.decode(column: "last_message_seq", as: Int.self)
            else { throw MessagingError.notFound }
            try await upsertRead(id, seq: "\(bind: seq)")
            return seq
        }
        // The patient side reads the conversation's latest number in the statement that records it.
        let latest: SQLQueryString = "(SELECT last_message_seq FROM conversations WHERE id = \(bind: id))"
        guard let seq = try await upsertRead(id, seq: latest) else { throw MessagingError.notFound }
        return seq
    }

    /// Sets the actor's read state to `seq` (never lower than it was), and answers with what it now is.
    @discardableResult
    private func upsertRead(_ id: UUID, seq: SQLQueryString) async throws -> Int? {
        try await sql.raw(
            """
            INSERT INTO conversation_states (id, conversation_id, user_id, last_read_at, last_read_seq) \
            VALUES (\(bind: UUID()), \(bind: id), \(bind: scope.userID), \(bind: context.now), \(seq)) \
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_at = excluded.last_read_at, \
            last_read_seq = \(greatest("conversation_states.last_read_seq", "excluded.last_read_seq")) \
            RETURNING last_read_seq
            """
        ).first()?.decode(column: "last_read_seq", as: Int.self)
    }

    /// Marks the conversation unread for the actor again: read up to just before the other side's latest message.
    /// Nothing changes when the other side has not written.
    func markUnread(_ id: UUID) async throws {
        try await sql.raw(
            """
            INSERT INTO conversation_states (id, conversation_id, user_id, last_read_seq) \
            SELECT \(bind: UUID()), conversations.id, \(bind: scope.userID), \(scope.otherSideSeq) - 1 \
            FROM conversations WHERE conversations.id = \(bind: id) AND \(scope.otherSideSeq) > 0 \
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq
            """
        ).run()
    }

    /// Files the conversation away for the actor, up to its latest message, or brings it back.
    func setArchived(_ id: UUID, _ archived: Bool) async throws {
        let at: Date? = archived ? context.now : nil
        let seq: SQLQueryString =
            archived ? "(SELECT last_message_seq FROM conversations WHERE id = \(bind: id))" : "NULL"
        try await sql.raw(
            """
            INSERT INTO conversation_states (id, conversation_id, user_id, archived_at, archived_seq) \
            VALUES (\(bind: UUID()), \(bind: id), \(bind: scope.userID), \(bind: at), \(seq)) \
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET archived_at = excluded.archived_at, \
            archived_seq = excluded.archived_seq
            """
        ).run()
    }

    // MARK: Details

    /// Changes the details if the conversation is still at `version`, and records each change as an event. False when
    /// someone else changed it first.
    func changeDetails(
        _ id: UUID, version: Int, subject: String?, recipient: Recipient, confidential: Bool,
        events: [(ConversationEvent.Detail, String?, String?)]
    ) async throws -> Bool {
        let (provider, pool) = Self.columns(recipient)
        let claimed = try await sql.raw(
            """
            UPDATE conversations SET version = version + 1, subject = \(bind: subject), \
            recipient_provider_id = \(bind: provider), recipient_pool_id = \(bind: pool), \
            confidential = \(bind: confidential) WHERE id = \(bind: id) AND version = \(bind: version) RETURNING id
            """
        ).all()
        guard !claimed.isEmpty else { return false }
        if events.contains(where: { $0.0 == .subject }) {
            try await searchIndex.changeSubject(id, to: subject)
        }
        for (field, from, to) in events {
            try await sql.raw(
                """
                INSERT INTO conversation_events (id, conversation_id, actor_id, field, from_value, to_value, \
                created_at) VALUES (\(bind: UUID()), \(bind: id), \(bind: scope.userID), \(bind: field.rawValue), \
                \(bind: from), \(bind: to), \(bind: context.now))
                """
            ).run()
        }
        return true
    }
}
