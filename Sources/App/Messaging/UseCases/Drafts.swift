import Domain
import FluentKit
import Foundation

/// Drafts: saved as the user writes, version-checked, resumed and discarded. Sending one is `SendMessage`'s.
struct Drafts {
    let store: MessagingStore

    var context: MessagingContext { store.context }
    var directory: RecipientDirectory { RecipientDirectory(store: store) }

    struct DraftInput: Codable, Sendable {
        var patientId: UUID?
        var conversationId: UUID?
        var messageTypeId: UUID?
        var recipient: RecipientInput?
        var subject: String?
        var confidential: Bool?
        var body: MessageBodyInput?
    }

    /// A page of the user's drafts. Drafts hold message text, so reading the list is audited (one event per list).
    func list(patient: UUID?, cursor: PageCursor?, limit: Int) async throws -> DraftPageResponse {
        let page = try await store.drafts(patient: patient, after: cursor, limit: limit)
        try await store.write { store in
            try await store.audit("draft.list", "draft", nil, actingFor: patient ?? store.context.userID)
        }
        let next = page.hasMore ? page.items.last.map { PageCursor(time: $0.updatedAt, id: $0.id!) } : nil
        return DraftPageResponse(items: try await responses(page.items), nextCursor: next?.text)
    }

    /// This user's reply draft in a conversation they may see, if any.
    func replyDraft(in conversationID: UUID) async throws -> DraftResponse? {
        guard let draft = try await store.replyDraft(in: conversationID) else { return nil }
        return try await responses([draft])[0]
    }

    /// Opening a draft reads message content, so it is audited.
    func get(_ id: UUID) async throws -> DraftResponse {
        let draft = try await store.draft(id)
        let patient = draft.$patient.id
        try await store.write { store in try await store.audit("draft.read", "draft", id, actingFor: patient) }
        return try await responses([draft])[0]
    }

    /// Creates a draft. An empty draft (no subject, no body) is not kept, the answer is nil, unless `keepEmpty`: a
    /// draft made to hold an attachment.
    func create(_ input: DraftInput, keepEmpty: Bool = false) async throws -> DraftResponse? {
        let fields = try await validate(input, existing: nil)
        guard !fields.isEmpty || keepEmpty else { return nil }
        let id = UUID()
        do {
            try await store.write { store in
                try await store.insertDraft(id, fields)
                try await store.audit("draft.save", "draft", id, actingFor: fields.patient)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure && fields.conversation != nil {
            // One reply draft per person and conversation: another window made it first.
            throw MessagingError.replyDraftExists
        }
        return try await responses([try await store.draft(id)])[0]
    }

    /// Saves over a draft at `version`. A stale version gets 409; saving it empty discards it (answer nil).
    func update(_ id: UUID, version: Int?, _ input: DraftInput) async throws -> DraftResponse? {
        let draft = try await store.draft(id)
        guard let version else { throw MessagingError.preconditionRequired }
        let fields = try await validate(input, existing: draft)
        if fields.isEmpty, !(try await store.draftHasAttachments(id)) {
            try await discard(id, version: version)
            return nil
        }
        try await store.write { store in
            guard try await store.updateDraft(id, version: version, fields) else {
                throw MessagingError.versionConflict
            }
            try await store.audit("draft.save", "draft", id, actingFor: fields.patient)
        }
        return try await responses([try await store.draft(id)])[0]
    }

    func discard(_ id: UUID, version: Int?) async throws {
        let patient = try await store.draft(id).$patient.id
        try await store.write { store in
            guard try await store.takeDraft(id, version: version) else { throw MessagingError.versionConflict }
            try await store.finishDraft(id, sentAs: nil)
            try await store.audit("draft.discard", "draft", id, actingFor: patient)
        }
    }

    // MARK: Validation

    /// A draft may be incomplete, but what it holds must already be allowed: a type of the organisation, an eligible
    /// recipient, confidentiality only where the patient may set it, a body within limits.
    private func validate(_ input: DraftInput, existing: Draft?) async throws -> DraftFields {
        var patient = existing?.$patient.id ?? input.patientId ?? context.userID
        let conversation = existing?.$conversation.id ?? input.conversationId
        if let conversation {
            // A reply draft is the conversation's patient's, whoever writes it and whatever patientId says.
            patient = try await store.conversation(conversation, withState: false).patientID
        } else if !ConversationRules.canStart(context.actor, for: UserID(patient)) {
            throw MessagingError.notFound
        }

        var rule: MessageTypeRule?
        if conversation == nil, let typeID = input.messageTypeId {
            rule = try directory.startableType(typeID, as: directory.patientSide(for: patient)).rule
        }
        let recipient = conversation == nil ? input.recipient?.recipient : nil
        if let recipient {
            guard let rule else { throw MessagingError.unknownMessageType }
            guard try await directory.eligible(for: patient, type: rule).contains(recipient) else {
                throw MessagingError.recipientNotEligible
            }
        }
        let confidential = conversation == nil ? (input.confidential ?? false) : false
        if confidential {
            guard let rule, ConversationRules.mayStartConfidential(context.actor, for: UserID(patient), type: rule)
            else { throw MessagingError.confidentialityNotAllowed }
        }
        // Checked even where it is not kept (a reply draft has no subject of its own), like every other field.
        let subject = try SubjectInput.clean(input.subject)
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
        return DraftFields(
            patient: patient, conversation: conversation, messageType: conversation == nil ? input.messageTypeId : nil,
            recipient: recipient, subject: conversation == nil ? subject : nil,
            confidential: confidential, body: body)
    }

    private func responses(_ drafts: [Draft]) async throws -> [DraftResponse] {
        let recipients = try await directory.describe(Set(drafts.compactMap(\.recipient)))
        let attachments = try await store.attachments(drafts: drafts.compactMap(\.id))
        let titles = try await store.titles(of: Set(drafts.compactMap(\.$conversation.id)))
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
                conversationTitle: draft.$conversation.id.flatMap { titles[$0] }, messageTypeId: draft.$messageType.id,
                recipient: recipient,
                subject: draft.subject, confidential: draft.confidential,
                body: draft.body.flatMap(RichTextDocument.fromJSON), attachments: attachments[draft.id!] ?? [],
                updatedAt: draft.updatedAt)
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
