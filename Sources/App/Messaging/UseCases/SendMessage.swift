import Domain
import Fluent
import Foundation
import Vapor

/// Starting a conversation, replying, and sending a draft: one path for all three. Each send is checked against the
/// rules for the acting user, is durable before it is answered, and happens once however often it is retried: with the
/// same `Idempotency-Key`, or, for a draft, by sending the same draft again (its id is the key).
struct SendMessage {
    let store: MessagingStore

    var context: MessagingContext { store.context }
    var presenter: ConversationPresenter { ConversationPresenter(store: store) }
    var directory: RecipientDirectory { RecipientDirectory(store: store) }

    struct StartInput: Codable, Sendable {
        var patientId: UUID?
        var messageTypeId: UUID?
        var recipient: RecipientInput?
        var subject: String?
        var confidential: Bool?
        var body: MessageBodyInput?
    }

    /// What a send made, and whether this call made it (false: a retry found the first one).
    struct Sent: Sendable {
        let conversationID: UUID
        let patientID: UUID
        let message: Message
        let created: Bool
    }

    /// The conversation a send made or added to, as the API answers with it.
    func conversation(_ sent: Sent) async throws -> ConversationResponse {
        try await presenter.current(sent.conversationID)
    }

    /// The message a send wrote, as the API answers a reply: a fresh one from what was written, a retried one read.
    func message(_ sent: Sent) async throws -> MessageResponse {
        sent.created
            ? try await presenter.written(sent.message, patient: sent.patientID)
            : try await presenter.message(sent.message, patient: sent.patientID)
    }

    // MARK: Starting

    func start(_ input: StartInput, idempotencyKey: String?) async throws -> Sent {
        let key = try Self.check(idempotencyKey)
        let request = key.map { _ in Self.fingerprint(input) }
        if let key, let sent = try await alreadySent(key, request: request) { return sent }
        return try await start(try await validateStart(input), key: key, request: request, draft: nil)
    }

    /// A conversation checked against every rule, ready to be written.
    struct ValidatedStart: Sendable {
        let patient: UUID
        let typeID: UUID
        let recipient: Recipient
        let subject: String?
        let confidential: Bool
        let body: RichTextDocument
        let side: ConversationSide
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
        let type = try directory.startableType(input.messageTypeId, as: directory.patientSide(for: patient))
        guard let recipient = input.recipient?.recipient else { throw MessagingError.recipientRequired }
        guard try await directory.eligible(for: patient, type: type.rule).contains(recipient) else {
            throw MessagingError.recipientNotEligible
        }
        let confidential = input.confidential ?? false
        if confidential && !ConversationRules.mayStartConfidential(actor, for: UserID(patient), type: type.rule) {
            throw MessagingError.confidentialityNotAllowed
        }
        let subject = try SubjectInput.clean(input.subject)
        guard let body = input.body else { throw MessagingError.nothingToSend }
        return ValidatedStart(
            patient: patient, typeID: type.id, recipient: recipient, subject: subject, confidential: confidential,
            body: try body.validated(), side: patient == context.userID ? .patient : .proxy)
    }

    /// A provider writing to one of their patients, or a pool member to a patient of the organisation. The
    /// conversation is addressed from the provider or the pool, so the patient's replies go back there.
    private func validateCareTeamStart(_ input: StartInput, patient: UUID) async throws -> ValidatedStart {
        guard let patientUser = try await store.organizationUser(patient),
            patientUser.roleGrants.contains(where: { $0.role == .patient })
        else { throw MessagingError.notFound }
        let type = try directory.startableType(input.messageTypeId, as: .careTeam)
        guard let from = input.recipient?.recipient else { throw MessagingError.recipientRequired }
        let providers = try await directory.providers(for: patient)
        // A retired pool takes no new conversations; its members still answer the ones it has.
        let retiredPool: Bool
        if case .pool(let pool) = from {
            retiredPool = try await store.pools([pool.uuid])[pool.uuid]?.retiredAt != nil
        } else {
            retiredPool = false
        }
        guard !retiredPool,
            ConversationRules.canStartAsCareTeam(context.actor, from: from, providersForPatient: providers)
        else {
            throw MessagingError(
                .unprocessableEntity, "care_team_start_not_allowed",
                "You can write to patients you have a care relationship with, or for a pool you belong to.",
                field: "recipient")
        }
        if input.confidential == true { throw MessagingError.confidentialityNotAllowed }
        guard let body = input.body else { throw MessagingError.nothingToSend }
        return ValidatedStart(
            patient: patient, typeID: type.id, recipient: from, subject: try SubjectInput.clean(input.subject),
            confidential: false, body: try body.validated(), side: .careTeam)
    }

    private func start(_ validated: ValidatedStart, key: String?, request: String? = nil, draft: DraftClaim?)
        async throws -> Sent
    {
        let conversation = NewConversation(
            id: UUID(), patient: validated.patient, typeID: validated.typeID, recipient: validated.recipient,
            subject: validated.subject, confidential: validated.confidential, side: validated.side,
            expectedReplyBy: expectedReply)
        let message = NewMessage(
            id: UUID(), conversationID: conversation.id, side: validated.side, body: validated.body,
            idempotencyKey: key, requestHash: request)
        return try await written(key: key, request: request) { store in
            try await store.take(draft)
            try await store.insert(conversation, firstMessage: message)
            if validated.side == .careTeam {
                try await store.noticeToPatientSide(
                    of: conversation.id, patient: validated.patient, confidential: validated.confidential)
            }
            try await store.finish(draft, sentAs: message.id)
            try await store.audit("conversation.start", "conversation", conversation.id, actingFor: validated.patient)
            return Sent(
                conversationID: conversation.id, patientID: validated.patient, message: store.written(message, seq: 1),
                created: true)
        }
    }

    // MARK: Replying

    /// Adds a reply to a conversation the actor may see.
    func reply(to conversationID: UUID, body: MessageBodyInput?, idempotencyKey: String?) async throws -> Sent {
        let key = try Self.check(idempotencyKey)
        let row = try await store.conversation(conversationID, withState: false)
        let request = key.map { _ in Self.fingerprint(ReplyRequest(conversationId: conversationID, body: body)) }
        if let key, let sent = try await alreadySent(key, request: request) {
            guard sent.conversationID == conversationID else { throw MessagingError.idempotencyKeyInvalid }
            return sent
        }
        try await checkCanReply(row)
        guard let body else { throw MessagingError.nothingToSend }
        return try await reply(to: row, body.validated(), key: key, request: request, draft: nil)
    }

    private func reply(
        to row: VisibleConversation, _ body: RichTextDocument, key: String?, request: String? = nil,
        draft: DraftClaim?
    ) async throws -> Sent {
        let message = NewMessage(
            id: UUID(), conversationID: row.id, side: row.side, body: body, idempotencyKey: key, requestHash: request)
        let patient = row.patientID
        let expectedReplyBy = expectedReply
        return try await written(key: key, request: request) { store in
            try await store.take(draft)
            let appended = try await store.append(message, expectedReplyBy: expectedReplyBy)
            if appended.opensNoticeWindow {
                try await store.noticeToPatientSide(of: row.id, patient: patient, confidential: appended.confidential)
            }
            try await store.finish(draft, sentAs: message.id)
            try await store.audit("message.send", "message", message.id, actingFor: patient)
            return Sent(
                conversationID: row.id, patientID: patient, message: store.written(message, seq: appended.seq),
                created: true)
        }
    }

    private func checkCanReply(_ row: VisibleConversation) async throws {
        if let refusal = try await directory.replyRefusal(in: row) { throw refusal }
    }

    // MARK: Sending a draft

    /// Sends a draft as a new conversation or a reply, exactly once. Sending the same draft again, or twice at the same
    /// moment, answers as a retry would: with what the first send made, `created` false.
    func send(draft id: UUID, version: Int?) async throws -> Sent {
        let key = "draft:\(id.uuidString)"
        if let sent = try await alreadySent(key) { return sent }
        let draft: Draft
        do {
            draft = try await store.draft(id)
        } catch let error as MessagingError where error == .notFound {
            // A send of the same draft committed between the check above and this read, and took the draft with it.
            guard let sent = try await alreadySent(key) else { throw error }
            return sent
        }
        if let version, version != draft.version { throw MessagingError.versionConflict }
        let body = draft.body.flatMap(RichTextDocument.fromJSON).map(MessageBodyInput.document)
        let claim = DraftClaim(id: id, version: draft.version)
        do {
            if let conversationID = draft.$conversation.id {
                let row = try await store.conversation(conversationID, withState: false)
                try await checkCanReply(row)
                guard let body else { throw MessagingError.nothingToSend }
                return try await reply(to: row, body.validated(), key: key, draft: claim)
            }
            let validated = try await validateStart(
                StartInput(
                    patientId: draft.$patient.id, messageTypeId: draft.$messageType.id,
                    recipient: draft.recipient.map(RecipientInput.init), subject: draft.subject,
                    confidential: draft.confidential, body: body))
            return try await start(validated, key: key, draft: claim)
        } catch let error as MessagingError where error == .draftTaken {
            // Another send of this draft got there first and has committed: answer with what it made.
            guard let sent = try await alreadySent(key) else { throw MessagingError.versionConflict }
            return sent
        }
    }

    // MARK: Shared

    /// Runs a send's write. When it fails on the idempotency key, a concurrent send with the same key won: answer with
    /// what that one made.
    private func written(
        key: String?, request: String?, _ work: @escaping @Sendable (MessagingStore) async throws -> Sent
    ) async throws -> Sent {
        do {
            let sent = try await store.write(work)
            context.announce(.message, in: sent.conversationID)
            return sent
        } catch {
            guard let key, (error as? any DatabaseError)?.isConstraintFailure == true,
                let sent = try await alreadySent(key, request: request)
            else { throw error }
            return sent
        }
    }

    /// What an earlier send with this key made, if any. The same key with a different request is refused: answering
    /// with the first message would lose the second without a word.
    private func alreadySent(_ key: String, request: String? = nil) async throws -> Sent? {
        guard let message = try await store.message(sentWithKey: key) else { return nil }
        if let request, let first = message.requestHash, first != request {
            throw MessagingError.idempotencyKeyReused
        }
        let conversation = try await store.conversation(message.$conversation.id, withState: false)
        return Sent(
            conversationID: conversation.id, patientID: conversation.patientID, message: message, created: false)
    }

    private var expectedReply: CalendarDate {
        context.calendar.businessDays(context.organization.responseBusinessDays, after: context.now)
    }

    /// What a reply's request is, for its fingerprint.
    private struct ReplyRequest: Encodable {
        let conversationId: UUID
        let body: MessageBodyInput?
    }

    /// SHA-256 of a request, in a stable form: the same request always gives the same text.
    static func fingerprint(_ request: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hash(data: (try? encoder.encode(request)) ?? Data()).hex
    }

    static func check(_ key: String?) throws -> String? {
        guard let key else { return nil }
        guard (1...200).contains(key.count), !key.hasPrefix("draft:"),
            key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
        else { throw MessagingError.idempotencyKeyInvalid }
        return key
    }
}

/// The draft a send turns into a message, at the version that was read.
struct DraftClaim: Sendable {
    let id: UUID
    let version: Int
}

extension MessagingStore {
    /// Takes the draft being sent, if any: of two sends of one draft, only the first gets past this.
    fileprivate func take(_ draft: DraftClaim?) async throws {
        guard let draft else { return }
        guard try await takeDraft(draft.id, version: draft.version) else { throw MessagingError.draftTaken }
    }

    fileprivate func finish(_ draft: DraftClaim?, sentAs messageID: UUID) async throws {
        guard let draft else { return }
        try await finishDraft(draft.id, sentAs: messageID)
    }
}
