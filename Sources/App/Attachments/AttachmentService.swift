import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

struct AttachmentResponse: Content, Equatable {
    let id: UUID
    let filename: String
    let contentType: String
    let size: Int
    let downloadUrl: String
}

/// Uploading into drafts, removing, and downloading attachments, for whoever may see the draft or conversation.
struct AttachmentService {
    let db: any Database
    let writes: WriteSerializer
    let context: MessagingContext
    let store: any BlobStore

    /// Streams an upload into the store, encrypting as it goes, and refuses it as soon as it is too large: an
    /// oversize upload is never held whole, in memory or on disk.
    func upload<Body: AsyncSequence>(toDraft draftID: UUID, filename raw: String, body: Body) async throws
        -> AttachmentResponse where Body.Element == ByteBuffer
    {
        let drafts = DraftService(db: db, writes: writes, context: context)
        let draft = try await drafts.draft(draftID)
        try await checkTypeAllowsAttachments(draft)
        let limits = context.organization.attachmentLimits
        let existing = try await Attachment.query(on: db).filter(\.$draft.$id == draftID).all(\.$sizeBytes)
        if existing.count >= limits.maxFiles { throw Self.refusal(.tooManyFiles(max: limits.maxFiles)) }

        let filename = DisplayFilename.clean(raw)
        let writer = try store.makeWriter()
        do {
            for try await chunk in body {
                try writer.write(chunk.readableBytesView)
                if writer.size > limits.maxFileBytes {
                    throw Self.refusal(.fileTooLarge(maxBytes: limits.maxFileBytes))
                }
            }
            try writer.finish()
            let kind: AttachmentKind
            do {
                kind = try AttachmentRules.check(
                    filename: filename, finding: ContentSniffer.identify(writer.prefix), size: writer.size,
                    existing: existing, limits: limits)
            } catch {
                throw Self.refusal(error)
            }
            let sha = try await store.commit(writer)
            let attachment = Attachment()
            attachment.$organization.id = context.organization.id
            attachment.$uploader.id = context.userID
            attachment.$draft.id = draftID
            attachment.blobSHA256 = sha
            attachment.filename = filename
            attachment.contentType = kind.contentType
            attachment.sizeBytes = writer.size
            attachment.createdAt = context.now
            let context = self.context
            try await writes.transaction(on: db) { db in
                try await attachment.create(on: db)
                try await context.audit(
                    "attachment.upload", "attachment", attachment.id, actingFor: draft.$patient.id, on: db)
            }
            return Self.response(attachment)
        } catch {
            writer.discard()
            throw error
        }
    }

    func remove(_ id: UUID, fromDraft draftID: UUID) async throws {
        _ = try await DraftService(db: db, writes: writes, context: context).draft(draftID)
        guard
            let attachment = try await Attachment.query(on: db).filter(\.$id == id).filter(\.$draft.$id == draftID)
                .first()
        else { throw MessagingError.notFound }
        try await writes.transaction(on: db) { db in try await attachment.delete(on: db) }
    }

    /// The attachment and its content, if the actor may see the conversation or draft it belongs to. Audited.
    func download(_ id: UUID) async throws -> (attachment: Attachment, content: Data) {
        guard
            let attachment = try await Attachment.query(on: db).filter(\.$id == id)
                .filter(\.$organization.$id == context.organization.id).first()
        else { throw MessagingError.notFound }
        let patient: UUID
        if let messageID = attachment.$message.id {
            guard let message = try await Message.find(messageID, on: db) else { throw MessagingError.notFound }
            patient = try await MessagingQueries.visibleConversation(message.$conversation.id, context, on: db).$patient
                .id
        } else if let draftID = attachment.$draft.id {
            patient = try await DraftService(db: db, writes: writes, context: context).draft(draftID).$patient.id
        } else {
            throw MessagingError.notFound
        }
        let content: Data
        do {
            content = try await store.read(attachment.blobSHA256)
        } catch BlobError.damaged {
            throw MessagingError(
                .internalServerError, "attachment_damaged",
                "This file could not be opened: its stored copy failed its integrity check. Ask the sender to attach it again."
            )
        }
        let context = self.context
        try await writes.transaction(on: db) { db in
            try await context.audit("attachment.download", "attachment", id, actingFor: patient, on: db)
        }
        return (attachment, content)
    }

    private func checkTypeAllowsAttachments(_ draft: Draft) async throws {
        let typeID: UUID?
        if let conversationID = draft.$conversation.id {
            typeID = try await Conversation.find(conversationID, on: db)?.$messageType.id
        } else {
            typeID = draft.$messageType.id
        }
        guard let typeID else { return }
        if try await MessageType.find(typeID, on: db)?.allowsAttachments == false {
            throw MessagingError(
                .unprocessableEntity, "attachments_not_allowed", "This type of message can't carry attachments.",
                field: "file")
        }
    }

    static func refusal(_ refusal: AttachmentRules.Refusal) -> MessagingError {
        switch refusal {
        case .fileTooLarge, .messageTooLarge:
            MessagingError(.payloadTooLarge, "attachment_too_large", refusal.message, field: "file")
        default:
            MessagingError(.unprocessableEntity, "attachment_refused", refusal.message, field: "file")
        }
    }

    static func response(_ attachment: Attachment) -> AttachmentResponse {
        AttachmentResponse(
            id: attachment.id!, filename: attachment.filename, contentType: attachment.contentType,
            size: attachment.sizeBytes, downloadUrl: "/api/v1/attachments/\(attachment.id!.uuidString)")
    }

    /// Attachments of several messages or drafts, grouped by owner, in upload order.
    static func list(messages: [UUID] = [], drafts: [UUID] = [], on db: any Database) async throws
        -> [UUID: [AttachmentResponse]]
    {
        var grouped: [UUID: [AttachmentResponse]] = [:]
        if !messages.isEmpty {
            for attachment in try await db.models(
                Attachment.self,
                "SELECT * FROM attachments WHERE message_id IN (\(binds: messages)) ORDER BY created_at, id")
            {
                grouped[attachment.$message.id!, default: []].append(response(attachment))
            }
        }
        if !drafts.isEmpty {
            for attachment in try await Attachment.query(on: db).filter(\.$draft.$id ~~ drafts).sort(\.$createdAt).all()
            {
                grouped[attachment.$draft.id!, default: []].append(response(attachment))
            }
        }
        return grouped
    }
}
