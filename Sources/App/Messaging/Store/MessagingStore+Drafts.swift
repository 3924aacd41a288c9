import Domain
import Foundation
import SQLKit

/// What a draft holds, as plain values.
struct DraftFields: Sendable {
    let patient: UUID
    let conversation: UUID?
    let messageType: UUID?
    let recipient: Recipient?
    let subject: String?
    let confidential: Bool
    let body: RichTextDocument?

    var isEmpty: Bool {
        subject == nil && (body.map { $0.plainText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? true)
    }
}

extension MessagingStore {
    /// The drafts this user may see: their own, about patients they still act for, and never in a conversation they
    /// can no longer see (a proxy's reply draft in a conversation since made confidential stays hidden).
    private func visibleDrafts(patient: UUID?) -> SQLQueryString {
        let patients = scope.actor.patientsActedFor.map(\.uuid)
        // A care-team member's new-conversation drafts are about patients they do not act for.
        let newConversation: SQLQueryString =
            scope.actor.roles.contains(where: \.isCareTeam)
            ? "drafts.conversation_id IS NULL"
            : patients.isEmpty
                ? "1 = 0" : "(drafts.conversation_id IS NULL AND drafts.patient_id IN (\(binds: patients)))"
        var condition: SQLQueryString = """
            FROM drafts LEFT JOIN conversations ON conversations.id = drafts.conversation_id \
            WHERE drafts.owner_id = \(bind: scope.userID) AND drafts.organization_id = \(bind: scope.organizationID) \
            AND (\(newConversation) OR (drafts.conversation_id IS NOT NULL AND \(scope.visible())))
            """
        if let patient { condition += " AND drafts.patient_id = \(bind: patient)" }
        return condition
    }

    /// The user's drafts, most recently saved first, a page at a time.
    func drafts(patient: UUID?, after cursor: PageCursor?, limit: Int) async throws -> Page<Draft> {
        var query: SQLQueryString = "SELECT drafts.* \(visibleDrafts(patient: patient))"
        if let cursor {
            query += """
                 AND (drafts.updated_at < \(bind: cursor.time) \
                OR (drafts.updated_at = \(bind: cursor.time) AND drafts.id < \(bind: cursor.id)))
                """
        }
        query += " ORDER BY drafts.updated_at DESC, drafts.id DESC LIMIT \(literal: limit + 1)"
        let drafts = try await db.models(Draft.self, query)
        return Page(items: Array(drafts.prefix(limit)), hasMore: drafts.count > limit)
    }

    func draftCount(patient: UUID?) async throws -> Int {
        let row = try await sql.raw("SELECT COUNT(*) AS drafts \(visibleDrafts(patient: patient))").first()
        return try row?.decode(column: "drafts", as: Int.self) ?? 0
    }

    /// The draft if this user may see it; otherwise 404.
    func draft(_ id: UUID) async throws -> Draft {
        guard
            let draft = try await db.models(
                Draft.self, "SELECT drafts.* \(visibleDrafts(patient: nil)) AND drafts.id = \(bind: id)"
            ).first
        else { throw MessagingError.notFound }
        return draft
    }

    /// This user's reply draft in a conversation: one indexed lookup.
    func replyDraft(in conversationID: UUID) async throws -> Draft? {
        try await db.models(
            Draft.self,
            "SELECT drafts.* \(visibleDrafts(patient: nil)) AND drafts.conversation_id = \(bind: conversationID)"
        ).first
    }

    func insertDraft(_ id: UUID, _ fields: DraftFields) async throws {
        let (provider, pool) = Self.columns(fields.recipient)
        try await sql.raw(
            """
            INSERT INTO drafts (id, organization_id, owner_id, patient_id, conversation_id, message_type_id, \
            recipient_provider_id, recipient_pool_id, subject, confidential, body, version, created_at, updated_at) \
            VALUES (\(bind: id), \(bind: scope.organizationID), \(bind: scope.userID), \(bind: fields.patient), \
            \(bind: fields.conversation), \(bind: fields.messageType), \(bind: provider), \(bind: pool), \
            \(bind: fields.subject), \(bind: fields.confidential), \(bind: fields.body?.json), 1, \
            \(bind: context.now), \(bind: context.now))
            """
        ).run()
    }

    /// Saves over a draft still at `version`; false when it has moved on (or is gone).
    func updateDraft(_ id: UUID, version: Int, _ fields: DraftFields) async throws -> Bool {
        let (provider, pool) = Self.columns(fields.recipient)
        return
            !(try await sql.raw(
                """
                UPDATE drafts SET version = version + 1, message_type_id = \(bind: fields.messageType), \
                recipient_provider_id = \(bind: provider), recipient_pool_id = \(bind: pool), \
                subject = \(bind: fields.subject), confidential = \(bind: fields.confidential), \
                body = \(bind: fields.body?.json), updated_at = \(bind: context.now) \
                WHERE id = \(bind: id) AND owner_id = \(bind: scope.userID) AND version = \(bind: version) RETURNING id
                """
            ).all()).isEmpty
    }

    /// Takes the draft for sending (or discarding): bumps its version if it is this user's and at `version` (any
    /// version when nil), which locks it. True only for the one caller that got it.
    func takeDraft(_ id: UUID, version: Int?) async throws -> Bool {
        let versionCheck: SQLQueryString = version.map { " AND version = \(bind: $0)" } ?? ""
        return
            !(try await sql.raw(
                """
                UPDATE drafts SET version = version + 1 \
                WHERE id = \(bind: id) AND owner_id = \(bind: scope.userID)\(versionCheck) RETURNING id
                """
            ).all()).isEmpty
    }

    /// Moves a draft's files to the message it became, then deletes the draft.
    func finishDraft(_ id: UUID, sentAs messageID: UUID?) async throws {
        if let messageID {
            try await sql.raw(
                "UPDATE attachments SET draft_id = NULL, message_id = \(bind: messageID) WHERE draft_id = \(bind: id)"
            ).run()
        }
        try await sql.raw("DELETE FROM drafts WHERE id = \(bind: id)").run()
    }

    func draftHasAttachments(_ id: UUID) async throws -> Bool {
        try await sql.raw("SELECT 1 AS found FROM attachments WHERE draft_id = \(bind: id) LIMIT 1").first() != nil
    }
}

/// A file accepted into a draft, as plain values.
struct NewAttachment: Sendable {
    let id: UUID
    let draftID: UUID
    let blobSHA256: String
    let filename: String
    let contentType: String
    let size: Int
    let locationRemoved: Bool
}

extension MessagingStore {
    func insert(_ attachment: NewAttachment) async throws {
        try await sql.raw(
            """
            INSERT INTO attachments (id, organization_id, uploader_id, draft_id, blob_sha256, filename, content_type, \
            size_bytes, created_at, location_removed) VALUES (\(bind: attachment.id), \(bind: scope.organizationID), \
            \(bind: scope.userID), \(bind: attachment.draftID), \(bind: attachment.blobSHA256), \
            \(bind: attachment.filename), \(bind: attachment.contentType), \(bind: attachment.size), \
            \(bind: context.now), \(bind: attachment.locationRemoved))
            """
        ).run()
    }

    /// Removes a file from a draft; false when the draft holds no such file.
    func deleteAttachment(_ id: UUID, fromDraft draftID: UUID) async throws -> Bool {
        !(try await sql.raw(
            "DELETE FROM attachments WHERE id = \(bind: id) AND draft_id = \(bind: draftID) RETURNING id"
        ).all()).isEmpty
    }

    /// The files of several messages, or of several drafts, by message or draft, in upload order. The caller has
    /// checked the actor may see those messages and drafts.
    func attachments(messages: [UUID] = [], drafts: [UUID] = []) async throws -> [UUID: [AttachmentResponse]] {
        var grouped: [UUID: [AttachmentResponse]] = [:]
        if !messages.isEmpty {
            for attachment in try await db.models(
                Attachment.self,
                "SELECT * FROM attachments WHERE message_id IN (\(binds: messages)) ORDER BY created_at, id")
            {
                grouped[attachment.$message.id!, default: []].append(AttachmentService.response(attachment))
            }
        }
        if !drafts.isEmpty {
            for attachment in try await db.models(
                Attachment.self,
                "SELECT * FROM attachments WHERE draft_id IN (\(binds: drafts)) ORDER BY created_at, id")
            {
                grouped[attachment.$draft.id!, default: []].append(AttachmentService.response(attachment))
            }
        }
        return grouped
    }

    /// The bytes of attachments this user has uploaded that are still kept, in drafts or sent.
    func attachmentBytes(uploadedBy user: UUID) async throws -> Int {
        try await sql.raw(
            "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS used FROM attachments WHERE uploader_id = \(bind: user)"
        ).first()?.decode(column: "used", as: Int.self) ?? 0
    }

    /// The conversation a message belongs to; the caller checks the actor may see it.
    func conversationID(ofMessage id: UUID) async throws -> UUID? {
        try await sql.raw("SELECT conversation_id FROM messages WHERE id = \(bind: id)").first()?
            .decode(column: "conversation_id", as: UUID.self)
    }
}
