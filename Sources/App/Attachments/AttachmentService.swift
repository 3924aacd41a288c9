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
    let messaging: MessagingStore
    let blobs: any BlobStore

    var context: MessagingContext { messaging.context }

    /// Streams an upload into the store, encrypting as it goes, and refuses it as soon as it is too large: an
    /// oversize upload is never held whole, in memory or on disk.
    func upload<Body: AsyncSequence>(toDraft draftID: UUID, filename raw: String, body: Body) async throws
        -> AttachmentResponse where Body.Element == ByteBuffer
    {
        let draft = try await messaging.draft(draftID)
        try await checkTypeAllowsAttachments(draft)
        let limits = context.organization.attachmentLimits
        let existing = try await Attachment.query(on: messaging.db).filter(\.$draft.$id == draftID).all(\.$sizeBytes)
        if existing.count >= limits.maxFiles { throw Self.refusal(.tooManyFiles(max: limits.maxFiles)) }

        let filename = DisplayFilename.clean(raw)
        let writer = try blobs.makeWriter()
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
            let upload = NewAttachment(
                id: UUID(), draftID: draftID, blobSHA256: try await blobs.commit(writer), filename: filename,
                contentType: kind.contentType, size: writer.size)
            let patient = draft.$patient.id
            try await messaging.write { store in
                try await store.insert(upload)
                try await store.audit("attachment.upload", "attachment", upload.id, actingFor: patient)
            }
            return AttachmentResponse(
                id: upload.id, filename: filename, contentType: upload.contentType, size: upload.size,
                downloadUrl: Self.downloadURL(upload.id))
        } catch {
            writer.discard()
            throw error
        }
    }

    func remove(_ id: UUID, fromDraft draftID: UUID) async throws {
        _ = try await messaging.draft(draftID)
        try await messaging.write { store in
            guard try await store.deleteAttachment(id, fromDraft: draftID) else { throw MessagingError.notFound }
        }
    }

    /// The attachment and its content, if the actor may see the conversation or draft it belongs to. Audited.
    func download(_ id: UUID) async throws -> (attachment: Attachment, content: Data) {
        let attachment: Attachment
        let patient: UUID
        do {
            (attachment, patient) = try await downloadable(id)
        } catch let error as MessagingError where error == .notFound {
            // A refused attempt is audited like a granted one: asking for files one may not see is worth knowing.
            try await messaging.write { store in
                try await store.audit("attachment.download", "attachment", id, outcome: "refused")
            }
            throw error
        }
        let content: Data
        do {
            content = try await blobs.read(attachment.blobSHA256)
        } catch BlobError.damaged {
            throw MessagingError(
                .internalServerError, "attachment_damaged",
                "This file could not be opened: its stored copy failed its integrity check. Ask the sender to attach it again."
            )
        }
        try await messaging.write { store in
            try await store.audit("attachment.download", "attachment", id, actingFor: patient)
        }
        return (attachment, content)
    }

    /// The attachment and the patient it is about, if the actor may see the conversation or draft it belongs to.
    private func downloadable(_ id: UUID) async throws -> (Attachment, UUID) {
        guard
            let attachment = try await Attachment.query(on: messaging.db).filter(\.$id == id)
                .filter(\.$organization.$id == context.organization.id).first()
        else { throw MessagingError.notFound }
        if let messageID = attachment.$message.id {
            guard let conversationID = try await messaging.conversationID(ofMessage: messageID) else {
                throw MessagingError.notFound
            }
            return (attachment, try await messaging.conversation(conversationID, withState: false).patientID)
        }
        guard let draftID = attachment.$draft.id else { throw MessagingError.notFound }
        return (attachment, try await messaging.draft(draftID).$patient.id)
    }

    private func checkTypeAllowsAttachments(_ draft: Draft) async throws {
        let typeID: UUID?
        if let conversationID = draft.$conversation.id {
            typeID = try await messaging.conversation(conversationID, withState: false).conversation.$messageType.id
        } else {
            typeID = draft.$messageType.id
        }
        guard let typeID else { return }
        if context.messageTypes.first(where: { $0.id == typeID })?.rule.allowsAttachments == false {
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
            size: attachment.sizeBytes, downloadUrl: downloadURL(attachment.id!))
    }

    static func downloadURL(_ id: UUID) -> String { "/api/v1/attachments/\(id.uuidString)" }
}
