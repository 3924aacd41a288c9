import Domain
import Fluent
import FluentSQL
import Foundation

/// Drafts: saved as the user writes, version-checked, resumed, discarded, and sent exactly once.
struct DraftService {
    let db: any Database
    let writes: WriteSerializer
    let context: MessagingContext

    struct DraftInput: Codable, Sendable {
        var patientId: UUID?
        var conversationId: UUID?
        var messageTypeId: UUID?
        var recipient: RecipientInput?
        var subject: String?
        var confidential: Bool?
        var body: MessageBodyInput?
    }

    /// The drafts this user may see: their own, for patients they still act for, never for a conversation they can
    /// no longer see (a proxy's reply draft in a conversation since made confidential stays hidden).
    func visibleDrafts(patient: UUID? = nil) -> QueryBuilder<Draft> {
        let query = Draft.query(on: db).filter(\.$owner.$id == context.userID)
            .filter(\.$organization.$id == context.organization.id)
        let patients = context.actor.patientsActedFor.map(\.uuid)
        if context.actor.roles.contains(where: \.isCareTeam) {
            // Care-team reply drafts are about patients the user does not act for; the conversation check decides.
        } else {
            query.filter(\.$patient.$id ~~ patients)
        }
        if let patient { query.filter(\.$patient.$id == patient) }
        return query
    }

    /// The draft if this user may see it; otherwise 404.
    func draft(_ id: UUID) async throws -> Draft {
        guard let draft = try await visibleDrafts().filter(\.$id == id).first() else { throw MessagingError.notFound }
        if let conversationID = draft.$conversation.id {
            _ = try await MessagingQueries.visibleConversation(conversationID, context, on: db)
        }
        return draft
    }

    func list(patient: UUID?) async throws -> [DraftResponse] {
        let drafts = try await visibleDrafts(patient: patient).sort(\.$updatedAt, .descending).limit(200).all()
        var visible: [Draft] = []
        for draft in drafts {
            if let conversationID = draft.$conversation.id,
                (try? await MessagingQueries.visibleConversation(conversationID, context, on: db)) == nil
            {
                continue
            }
            visible.append(draft)
        }
        return try await responses(visible)
    }

    /// This user's reply draft in a conversation the caller has already checked they may see: one indexed lookup,
    /// for opening a conversation, instead of listing every draft.
    func replyDraft(in conversationID: UUID) async throws -> DraftResponse? {
        guard let draft = try await visibleDrafts().filter(\.$conversation.$id == conversationID).first() else {
            return nil
        }
        return try await responses([draft])[0]
    }

    /// Opening a draft reads message content, so it is audited.
    func get(_ id: UUID) async throws -> DraftResponse {
        let draft = try await draft(id)
        let context = self.context
        try await writes.transaction(on: db) { db in
            try await context.audit("draft.read", "draft", id, actingFor: draft.$patient.id, on: db)
        }
        return try await responses([draft])[0]
    }

    /// Creates a draft. An empty draft (no subject, no body) is not kept, the answer is nil, unless `keepEmpty`: a
    /// draft made to hold an attachment.
    func create(_ input: DraftInput, keepEmpty: Bool = false) async throws -> DraftResponse? {
        let fields = try await validate(input, existing: nil)
        guard !fields.isEmpty || keepEmpty else { return nil }
        let context = self.context
        let draft = Draft()
        draft.$organization.id = context.organization.id
        draft.$owner.id = context.userID
        draft.$patient.id = fields.patient
        draft.$conversation.id = fields.conversation
        draft.createdAt = context.now
        draft.version = 1
        fields.apply(to: draft, at: context.now)
        try await writes.transaction(on: db) { db in
            try await draft.create(on: db)
            try await context.audit("draft.save", "draft", draft.id, actingFor: fields.patient, on: db)
        }
        return try await responses([draft])[0]
    }

    /// Saves over a draft at `version`. A stale version gets 409; saving it empty discards it (answer nil).
    func update(_ id: UUID, version: Int?, _ input: DraftInput) async throws -> DraftResponse? {
        let draft = try await draft(id)
        guard let version else { throw MessagingError.preconditionRequired }
        let fields = try await validate(input, existing: draft)
        let hasAttachments = try await Attachment.query(on: db).filter(\.$draft.$id == id).count() > 0
        if fields.isEmpty && !hasAttachments {
            try await discard(id, version: version)
            return nil
        }
        let context = self.context
        try await writes.transaction(on: db) { db in
            let claimed = try await db.sql().raw(
                """
                UPDATE drafts SET version = version + 1
                WHERE id = \(bind: id) AND owner_id = \(bind: context.userID) AND version = \(bind: version) RETURNING id
                """
            ).all()
            guard !claimed.isEmpty else { throw MessagingError.versionConflict }
            let fresh = try await Draft.find(id, on: db)!
            fields.apply(to: fresh, at: context.now)
            try await fresh.save(on: db)
            try await context.audit("draft.save", "draft", id, actingFor: fresh.$patient.id, on: db)
        }
        return try await responses([try await Draft.find(id, on: db)!])[0]
    }

    func discard(_ id: UUID, version: Int?) async throws {
        let draft = try await draft(id)
        let context = self.context
        try await writes.transaction(on: db) { db in
            guard try await Self.claim(id, version: version, context, on: db) else {
                throw MessagingError.versionConflict
            }
            try await context.audit("draft.discard", "draft", id, actingFor: draft.$patient.id, on: db)
        }
    }

    /// Sends a draft as a new conversation or a reply. Exactly once: the draft is deleted in the same transaction, and
    /// of two sends at the same moment only the one that deleted it goes on; the other gets 404.
    func send(_ id: UUID, version: Int?) async throws -> (conversationID: UUID, messageID: UUID?) {
        let draft = try await draft(id)
        if let version, version != draft.version { throw MessagingError.versionConflict }
        let messaging = MessagingService(db: db, writes: writes, context: context)
        let body = draft.body.flatMap(RichTextDocument.fromJSON).map(MessageBodyInput.document)
        let context = self.context

        if let conversationID = draft.$conversation.id {
            let conversation = try await MessagingQueries.visibleConversation(conversationID, context, on: db)
            let side = try await messaging.replySide(in: conversation)
            guard let body else { throw MessagingError.nothingToSend }
            let document = try body.validated()
            let messageID = try await writes.transaction(on: db) { db in
                let attachments = try await Self.detachAttachments(id, on: db)
                guard try await Self.claim(id, version: version, context, on: db) else { throw MessagingError.notFound }
                let messageID = try await MessagingService.appendMessage(
                    to: conversationID, patient: draft.$patient.id, document: document, side: Message.Side(side),
                    key: nil, context, on: db
                ).requireID()
                try await Self.attach(attachments, to: messageID, on: db)
                return messageID
            }
            return (conversationID, messageID)
        }

        let validated = try await messaging.validateStart(
            MessagingService.StartInput(
                patientId: draft.$patient.id, messageTypeId: draft.$messageType.id,
                recipient: draft.recipient.map(RecipientInput.init), subject: draft.subject,
                confidential: draft.confidential, body: body))
        let conversationID = try await writes.transaction(on: db) { db in
            let attachments = try await Self.detachAttachments(id, on: db)
            guard try await Self.claim(id, version: version, context, on: db) else { throw MessagingError.notFound }
            let conversationID = try await MessagingService.createConversation(validated, key: nil, context, on: db)
            let firstMessage = try await Message.query(on: db).filter(\.$conversation.$id == conversationID).first()!
            try await Self.attach(attachments, to: try firstMessage.requireID(), on: db)
            return conversationID
        }
        return (conversationID, nil)
    }

    /// Takes a draft's attachments off it before the draft is deleted, so they can move to the sent message.
    private static func detachAttachments(_ draftID: UUID, on db: any Database) async throws -> [UUID] {
        let ids = try await Attachment.query(on: db).filter(\.$draft.$id == draftID).all(\.$id)
        if !ids.isEmpty {
            try await Attachment.query(on: db).filter(\.$id ~~ ids).set(\.$draft.$id, to: nil).update()
        }
        return ids
    }

    private static func attach(_ attachments: [UUID], to messageID: UUID, on db: any Database) async throws {
        guard !attachments.isEmpty else { return }
        try await Attachment.query(on: db).filter(\.$id ~~ attachments).set(\.$message.$id, to: messageID).update()
    }

    /// Deletes the draft if it is this user's (and at `version`, when given). True only for the call that deleted it.
    private static func claim(_ id: UUID, version: Int?, _ context: MessagingContext, on db: any Database) async throws
        -> Bool
    {
        let versionCheck: SQLQueryString = version.map { "AND version = \(bind: $0)" } ?? ""
        let deleted = try await db.sql().raw(
            "DELETE FROM drafts WHERE id = \(bind: id) AND owner_id = \(bind: context.userID) \(versionCheck) RETURNING id"
        ).all()
        return !deleted.isEmpty
    }

    // MARK: Validation

    struct Fields {
        let patient: UUID
        let conversation: UUID?
        let messageType: UUID?
        let recipient: Recipient?
        let subject: String?
        let confidential: Bool
        let body: RichTextDocument?

        var isEmpty: Bool {
            subject == nil
                && (body.map { $0.plainText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? true)
        }

        func apply(to draft: Draft, at date: Date) {
            draft.$messageType.id = messageType
            draft.setRecipient(recipient)
            draft.subject = subject
            draft.confidential = confidential
            draft.body = body?.json
            draft.updatedAt = date
        }
    }

    /// A draft may be incomplete, but what it holds must already be allowed: a type of the organisation, an eligible
    /// recipient, confidentiality only where the patient may set it, a body within limits.
    private func validate(_ input: DraftInput, existing: Draft?) async throws -> Fields {
        let patient = existing?.$patient.id ?? input.patientId ?? context.userID
        let conversation = existing?.$conversation.id ?? input.conversationId
        if let conversation {
            _ = try await MessagingQueries.visibleConversation(conversation, context, on: db)
        } else if !ConversationRules.canStart(context.actor, for: UserID(patient)) {
            throw MessagingError.notFound
        }

        var rule: MessageTypeRule?
        if conversation == nil, let typeID = input.messageTypeId {
            rule = try RecipientDirectory(db: db, context: context).messageType(typeID).rule
        }
        let recipient = conversation == nil ? input.recipient?.recipient : nil
        if let recipient {
            guard let rule else { throw MessagingError.unknownMessageType }
            guard
                try await RecipientDirectory(db: db, context: context).eligible(for: patient, type: rule)
                    .contains(recipient)
            else { throw MessagingError.recipientNotEligible }
        }
        let confidential = conversation == nil ? (input.confidential ?? false) : false
        if confidential {
            guard let rule, ConversationRules.mayStartConfidential(context.actor, for: UserID(patient), type: rule)
            else {
                throw MessagingError.confidentialityNotAllowed
            }
        }
        var body: RichTextDocument?
        if let input = input.body {
            let document = input.document
            do {
                try document.validate()
                body = document
            } catch .empty {
                body = nil
            } catch {
                throw MessagingError.invalidBody(error)
            }
        }
        return Fields(
            patient: patient, conversation: conversation, messageType: conversation == nil ? input.messageTypeId : nil,
            recipient: recipient, subject: conversation == nil ? try SubjectInput.clean(input.subject) : nil,
            confidential: confidential, body: body)
    }

    private func responses(_ drafts: [Draft]) async throws -> [DraftResponse] {
        let recipients = try await RecipientDirectory(db: db, context: context).describe(
            Set(drafts.compactMap(\.recipient)))
        let attachments = try await AttachmentService.list(drafts: drafts.compactMap(\.id), on: db)
        return drafts.map { draft in
            let recipient = draft.recipient.flatMap { recipient in
                recipients.first {
                    switch recipient {
                    case .provider(let id): $0.kind == .provider && $0.id == id.uuid
                    case .pool(let id): $0.kind == .pool && $0.id == id.uuid
                    }
                }
            }
            return DraftResponse(
                id: draft.id!, version: draft.version, patientId: draft.$patient.id,
                conversationId: draft.$conversation.id,
                messageTypeId: draft.$messageType.id, recipient: recipient, subject: draft.subject,
                confidential: draft.confidential, body: draft.body.flatMap(RichTextDocument.fromJSON),
                attachments: attachments[draft.id!] ?? [], updatedAt: draft.updatedAt)
        }
    }
}

extension RecipientInput {
    init(_ recipient: Recipient) {
        switch recipient {
        case .provider(let id): self.init(kind: .provider, id: id.uuid)
        case .pool(let id): self.init(kind: .pool, id: id.uuid)
        }
    }
}
