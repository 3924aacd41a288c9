import Domain
import Fluent
import FluentSQL
import Foundation
import SQLKit

/// Starting, replying to, reading, editing and filing conversations. Every method checks `ConversationRules` for the
/// acting user, reads only what they may see, and writes its audit event in the same transaction as its change.
struct MessagingService {
    let db: any Database
    let writes: WriteSerializer
    let context: MessagingContext

    var directory: RecipientDirectory { RecipientDirectory(db: db, context: context) }
    var presenter: ConversationPresenter { ConversationPresenter(db: db, context: context) }

    struct StartInput: Codable, Sendable {
        var patientId: UUID?
        var messageTypeId: UUID?
        var recipient: RecipientInput?
        var subject: String?
        var confidential: Bool?
        var body: MessageBodyInput?
    }

    /// The conversation a send made, and whether this call made it (false: a retry found the first one).
    struct Started {
        let conversation: ConversationResponse
        let created: Bool
    }

    // MARK: Sending

    func start(_ input: StartInput, idempotencyKey: String?) async throws -> Started {
        let key = try Self.check(idempotencyKey)
        if let key, let existing = try await messageSent(withKey: key) {
            return Started(conversation: try await show(existing.$conversation.id, markRead: false), created: false)
        }
        let validated = try await validateStart(input)
        let context = self.context
        let conversationID: UUID
        do {
            conversationID = try await writes.transaction(on: db) { db in
                try await Self.createConversation(validated, key: key, context, on: db)
            }
        } catch {
            // Two sends with one key raced; the other one won. Answer with what it made.
            guard let key, (error as? any DatabaseError)?.isConstraintFailure == true,
                let existing = try await messageSent(withKey: key)
            else { throw error }
            return Started(conversation: try await show(existing.$conversation.id, markRead: false), created: false)
        }
        return Started(conversation: try await show(conversationID, markRead: false), created: true)
    }

    struct ValidatedStart: Sendable {
        let patient: UUID
        let typeID: UUID
        let recipient: Recipient
        let subject: String?
        let confidential: Bool
        let body: RichTextDocument
        let side: Message.Side
    }

    /// Checks a new conversation against every rule, naming the first field at fault. Changes nothing.
    func validateStart(_ input: StartInput) async throws -> ValidatedStart {
        let actor = context.actor
        let patient = input.patientId ?? context.userID
        guard ConversationRules.canStart(actor, for: UserID(patient)) else {
            if actor.roles.contains(where: \.isCareTeam) {
                return try await validateCareTeamStart(input, patient: patient)
            }
            throw MessagingError.notFound
        }
        let type = try directory.messageType(input.messageTypeId)
        let rule = type.rule
        guard let recipient = input.recipient?.recipient else { throw MessagingError.recipientRequired }
        guard try await directory.eligible(for: patient, type: rule).contains(recipient) else {
            throw MessagingError.recipientNotEligible
        }
        let confidential = input.confidential ?? false
        if confidential && !ConversationRules.mayStartConfidential(actor, for: UserID(patient), type: rule) {
            throw MessagingError.confidentialityNotAllowed
        }
        let subject = try SubjectInput.clean(input.subject)
        guard let body = input.body else { throw MessagingError.nothingToSend }
        return ValidatedStart(
            patient: patient, typeID: type.id, recipient: recipient, subject: subject,
            confidential: confidential, body: try body.validated(), side: patient == context.userID ? .patient : .proxy)
    }

    /// The side the actor replies from. The patient side cannot reply to a provider whose care relationship with the
    /// patient has ended: the reply would reach someone who no longer looks after them (docs/care-team.md).
    func replySide(in conversation: Conversation) async throws -> ConversationSide {
        guard let side = ConversationRules.side(of: context.actor, in: conversation.facts) else {
            throw MessagingError.notFound
        }
        if side != .careTeam, case .provider(let provider) = conversation.recipient,
            !(try await CareTeamService.providers(for: conversation.$patient.id, on: context.today, db: db))
                .contains(provider)
        {
            throw Self.relationshipEnded
        }
        return side
    }

    static let relationshipEnded = MessagingError(
        .unprocessableEntity, "care_relationship_ended",
        "You can no longer reply here because your care relationship with this provider has ended. "
            + "Your draft is kept. Please call the provider's office.", field: "body")

    /// A provider writing to one of their patients, or a pool member to a patient of the organisation. The
    /// conversation is addressed from the provider or the pool, so the patient's replies go back there.
    private func validateCareTeamStart(_ input: StartInput, patient: UUID) async throws -> ValidatedStart {
        guard
            let patientUser = try await User.query(on: db).filter(\.$id == patient)
                .filter(\.$organization.$id == context.organization.id).with(\.$roleGrants).first(),
            patientUser.roleGrants.contains(where: { $0.role == .patient })
        else { throw MessagingError.notFound }
        let type = try directory.messageType(input.messageTypeId)
        guard let from = input.recipient?.recipient else { throw MessagingError.recipientRequired }
        let providers = try await CareTeamService.providers(for: patient, on: context.today, db: db)
        guard ConversationRules.canStartAsCareTeam(context.actor, from: from, providersForPatient: providers) else {
            throw MessagingError(
                .unprocessableEntity, "care_team_start_not_allowed",
                "You can write to patients you have a care relationship with, or for a pool you belong to.",
                field: "recipient")
        }
        if input.confidential == true { throw MessagingError.confidentialityNotAllowed }
        guard let body = input.body else { throw MessagingError.nothingToSend }
        return ValidatedStart(
            patient: patient, typeID: type.id, recipient: from,
            subject: try SubjectInput.clean(input.subject),
            confidential: false, body: try body.validated(), side: .careTeam)
    }

    /// Adds a reply. A retry with the same idempotency key returns the first reply instead of adding another.
    func reply(to conversationID: UUID, body: MessageBodyInput?, idempotencyKey: String?) async throws
        -> (message: MessageResponse, created: Bool)
    {
        let key = try Self.check(idempotencyKey)
        let conversation = try await MessagingQueries.visibleConversation(conversationID, context, on: db)
        let patient = conversation.$patient.id
        if let key, let existing = try await messageSent(withKey: key) {
            guard existing.$conversation.id == conversationID else { throw MessagingError.idempotencyKeyInvalid }
            return (try await presenter.message(existing, patient: patient), false)
        }
        let side = try await replySide(in: conversation)
        guard let body else { throw MessagingError.nothingToSend }
        let document = try body.validated()
        let context = self.context
        let message: Message
        do {
            message = try await writes.transaction(on: db) { db in
                try await Self.appendMessage(
                    to: conversationID, patient: patient, document: document, side: Message.Side(side), key: key,
                    context, on: db)
            }
        } catch {
            guard let key, (error as? any DatabaseError)?.isConstraintFailure == true,
                let existing = try await messageSent(withKey: key)
            else { throw error }
            return (try await presenter.message(existing, patient: patient), false)
        }
        return (try await presenter.written(message, patient: patient), true)
    }

    /// Creates a conversation with its first message, inside the caller's transaction, and audits it.
    static func createConversation(
        _ validated: ValidatedStart, key: String?, _ context: MessagingContext, on db: any Database
    ) async throws -> UUID {
        let conversation = Conversation()
        conversation.$organization.id = context.organization.id
        conversation.$patient.id = validated.patient
        conversation.$messageType.id = validated.typeID
        conversation.subject = validated.subject
        conversation.setRecipient(validated.recipient)
        conversation.confidential = validated.confidential
        conversation.status = .open
        conversation.$startedBy.id = context.userID
        conversation.createdAt = context.now
        conversation.lastMessageAt = context.now
        conversation.expectedReplyBy = expectedReply(context).description
        conversation.version = 1
        if validated.side == .careTeam {
            conversation.lastCareTeamMessageAt = context.now
        } else {
            conversation.lastPatientMessageAt = context.now
        }
        try await conversation.create(on: db)
        let id = try conversation.requireID()
        _ = try await insertMessage(in: id, document: validated.body, side: validated.side, key: key, context, on: db)
        try await markRead(id, context, on: db)
        try await context.audit("conversation.start", "conversation", id, actingFor: validated.patient, on: db)
        return id
    }

    /// Adds a message to a conversation, inside the caller's transaction: a message from the patient side moves the
    /// expected reply date; the writer has read everything up to it. Audited.
    static func appendMessage(
        to conversationID: UUID, patient: UUID, document: RichTextDocument, side: Message.Side, key: String?,
        _ context: MessagingContext, on db: any Database
    ) async throws -> Message {
        let message = try await insertMessage(
            in: conversationID, document: document, side: side, key: key, context, on: db)
        if side == .careTeam {
            try await db.sql().raw(
                """
                UPDATE conversations SET last_message_at = \(bind: context.now), \
                last_care_team_message_at = \(bind: context.now) WHERE id = \(bind: conversationID)
                """
            ).run()
        } else {
            // A patient's reply to a Done conversation reopens it (docs/care-team.md).
            try await db.sql().raw(
                """
                UPDATE conversations SET last_message_at = \(bind: context.now), \
                last_patient_message_at = \(bind: context.now), \
                expected_reply_by = \(bind: expectedReply(context).description), done_at = NULL, \
                status = \(bind: Conversation.Status.open.rawValue) WHERE id = \(bind: conversationID)
                """
            ).run()
        }
        try await markRead(conversationID, context, on: db)
        try await context.audit("message.send", "message", message.id, actingFor: patient, on: db)
        return message
    }

    static func insertMessage(
        in conversationID: UUID, document: RichTextDocument, side: Message.Side, key: String?,
        _ context: MessagingContext, on db: any Database
    ) async throws -> Message {
        let message = Message()
        message.id = UUID()
        message.$conversation.id = conversationID
        message.$author.id = context.userID
        message.side = side
        message.body = document.json
        message.bodyText = document.plainText
        message.createdAt = context.now
        message.idempotencyKey = key
        // A plain INSERT: Fluent's `create` reflects over the model and escapes every column name each time.
        try await db.sql().raw(
            """
            INSERT INTO messages (id, conversation_id, author_id, side, body, body_text, created_at, idempotency_key) \
            VALUES (\(bind: message.id!), \(bind: conversationID), \(bind: context.userID), \(bind: side.rawValue), \
            \(bind: message.body), \(bind: message.bodyText), \(bind: context.now), \(bind: key))
            """
        ).run()
        return message
    }

    static func expectedReply(_ context: MessagingContext) -> CalendarDate {
        context.calendar.businessDays(context.organization.responseBusinessDays, after: context.now)
    }

    private func messageSent(withKey key: String) async throws -> Message? {
        try await db.models(
            Message.self,
            "SELECT * FROM messages WHERE author_id = \(bind: context.userID) AND idempotency_key = \(bind: key)"
        ).first
    }

    static func check(_ key: String?) throws -> String? {
        guard let key else { return nil }
        guard (1...200).contains(key.count), key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
        else { throw MessagingError.idempotencyKeyInvalid }
        return key
    }

    // MARK: Reading

    /// Opens a conversation: every message oldest first and every change of details. Opening marks it read and is
    /// audited as a read of message content.
    func show(_ id: UUID, markRead: Bool = true) async throws -> ConversationResponse {
        let conversation = try await MessagingQueries.visibleConversation(id, context, on: db)
        let context = self.context
        guard markRead else {
            let state = try await MessagingQueries.myStates(for: [id], context, on: db)[id]
            return try await presenter.detail(conversation, state: state)
        }
        let byCareTeam = ConversationRules.side(of: context.actor, in: conversation.facts) == .careTeam
        let state = try await writes.transaction(on: db) { db in
            let state = try await Self.markRead(id, context, on: db)
            if byCareTeam {
                try await Conversation.query(on: db).filter(\.$id == id).set(\.$careTeamReadAt, to: context.now)
                    .update()
            }
            try await context.audit(
                "conversation.read", "conversation", id, actingFor: conversation.$patient.id, on: db)
            return state
        }
        return try await presenter.detail(conversation, state: state)
    }

    func list(_ folder: MessagingQueries.Folder, patient: UUID?, cursor: ConversationCursor?, limit: Int) async throws
        -> ConversationPageResponse
    {
        let page = try await MessagingQueries.folder(
            folder, context, patient: patient, after: cursor, limit: limit, on: db)
        let items = try await presenter.summaries(page.conversations, states: page.states)
        let next =
            page.hasMore
            ? page.conversations.last.map { ConversationCursor(lastMessageAt: $0.lastMessageAt, id: $0.id!).text } : nil
        return ConversationPageResponse(items: items, nextCursor: next)
    }

    /// Unread conversations in the inbox: the number on the Messages link of every page.
    func unreadInbox() async throws -> Int {
        try await MessagingQueries.unreadCount(archived: false, context, on: db)
    }

    func unreadCounts(patient: UUID? = nil) async throws -> UnreadCountsResponse {
        let drafts = try await DraftService(db: db, writes: writes, context: context).visibleDrafts(patient: patient)
            .count()
        return UnreadCountsResponse(
            inbox: try await MessagingQueries.unreadCount(archived: false, context, patient: patient, on: db),
            archived: try await MessagingQueries.unreadCount(archived: true, context, patient: patient, on: db),
            drafts: drafts)
    }

    // MARK: Filing

    func archive(_ id: UUID, _ archived: Bool) async throws {
        let conversation = try await MessagingQueries.visibleConversation(id, context, on: db)
        guard ConversationRules.canArchive(context.actor, conversation.facts) else { throw MessagingError.notFound }
        let context = self.context
        try await writes.transaction(on: db) { db in
            let state = try await Self.state(id, context, on: db)
            state.archivedAt = archived ? context.now : nil
            try await state.save(on: db)
        }
    }

    func markRead(_ id: UUID) async throws {
        _ = try await MessagingQueries.visibleConversation(id, context, on: db)
        let context = self.context
        _ = try await writes.transaction(on: db) { db in try await Self.markRead(id, context, on: db) }
    }

    /// Records that the actor has read the conversation up to now (one upsert of their state row), and answers with
    /// that state.
    @discardableResult
    static func markRead(_ id: UUID, _ context: MessagingContext, on db: any Database) async throws -> ReadState {
        let row = try await db.sql().raw(
            """
            INSERT INTO conversation_states (id, conversation_id, user_id, last_read_at) \
            VALUES (\(bind: UUID()), \(bind: id), \(bind: context.userID), \(bind: context.now)) \
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_at = excluded.last_read_at \
            RETURNING archived_at
            """
        ).first()
        return ReadState(lastReadAt: context.now, archivedAt: try row?.decode(column: "archived_at", as: Date?.self))
    }

    static func state(_ id: UUID, _ context: MessagingContext, on db: any Database) async throws -> ConversationState {
        if let state = try await ConversationState.query(on: db).filter(\.$conversation.$id == id)
            .filter(\.$user.$id == context.userID).first()
        {
            return state
        }
        let state = ConversationState()
        state.$conversation.id = id
        state.$user.id = context.userID
        return state
    }

    // MARK: Directory

    func messageTypes() -> [MessageTypeResponse] {
        context.messageTypes.map {
            MessageTypeResponse(
                id: $0.id, name: $0.name, description: $0.description,
                allowsConfidentiality: $0.rule.allowsConfidentiality, allowsAttachments: $0.rule.allowsAttachments)
        }
    }

    func recipients(patient: UUID?, type: UUID?, matching search: String?) async throws -> [RecipientResponse] {
        let patient = patient ?? context.userID
        guard ConversationRules.canStart(context.actor, for: UserID(patient)) else { throw MessagingError.notFound }
        return try await directory.search(for: patient, type: directory.messageType(type).rule, matching: search)
    }

    /// The patients whose messages this user works with: themselves, and those they are a proxy for today.
    func actingFor() async throws -> [ActingForResponse] {
        let patients = context.actor.patientsActedFor.map(\.uuid)
        guard !patients.isEmpty else { return [] }
        let users = try await User.query(on: db).filter(\.$id ~~ patients).all()
        let grants = try await ProxyGrant.query(on: db).filter(\.$proxy.$id == context.userID).all()
        return users.map { user in
            let relationship =
                user.id == context.userID
                ? "self" : grants.first { $0.$patient.id == user.id }?.relationship ?? "proxy"
            return ActingForResponse(
                patient: PersonResponse(id: user.id!, name: user.personName.displayName), relationship: relationship)
        }.sorted {
            ($0.relationship != "self" ? 1 : 0, $0.patient.name) < ($1.relationship != "self" ? 1 : 0, $1.patient.name)
        }
    }
}
