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
    /// Whether location data (where a photo was taken) was removed before the file was stored.
    let locationRemoved: Bool
}

/// Uploading into drafts, removing, and downloading attachments, for whoever may see the draft or conversation.
struct AttachmentService {
    let messaging: MessagingStore
    let blobs: any BlobStore
    let scanning: VirusScanning
    let uploadRate: UploadRateLimiter

    var context: MessagingContext { messaging.context }

    /// Takes an upload into a draft. The file is read into memory only up to the organisation's size limit (an oversize
    /// upload is refused as soon as it passes it), then scanned for viruses, recognised by its content, checked
    /// against decompression bombs, cleared of location data, and only then encrypted and stored.
    func upload<Body: AsyncSequence>(toDraft draftID: UUID, filename raw: String, body: Body) async throws
        -> AttachmentResponse where Body.Element == ByteBuffer
    {
        guard uploadRate.allow(context.userID, at: context.now) else { throw Self.tooManyUploads }
        let draft = try await messaging.draft(draftID)
        try await checkTypeAllowsAttachments(draft)
        let limits = context.organization.attachmentLimits
        let existing = try await Attachment.query(on: messaging.db).filter(\.$draft.$id == draftID).all(\.$sizeBytes)
        if existing.count >= limits.maxFiles { throw Self.refusal(.tooManyFiles(max: limits.maxFiles)) }

        var received = ByteBuffer()
        for try await chunk in body {
            guard received.readableBytes + chunk.readableBytes <= limits.maxFileBytes else {
                throw Self.refusal(.fileTooLarge(maxBytes: limits.maxFileBytes))
            }
            received.writeImmutableBuffer(chunk)
        }
        let content = Array(received.readableBytesView)
        try await scanning.check(content)

        let filename = DisplayFilename.clean(raw)
        let kind: AttachmentKind
        do {
            kind = try AttachmentRules.check(
                filename: filename,
                finding: ContentSniffer.identify(Array(content.prefix(ContentSniffer.prefixLength))),
                size: content.count, existing: existing, limits: limits)
            try AttachmentRules.inspect(content, kind: kind)
        } catch {
            throw Self.refusal(error)
        }
        let (stored, locationRemoved) = LocationMetadata.strip(content, kind: kind)
        try await checkQuota(adding: stored.count)

        let writer = try blobs.makeWriter()
        do {
            try writer.write(stored)
            try writer.finish()
            let upload = NewAttachment(
                id: UUID(), draftID: draftID, blobSHA256: try await blobs.commit(writer), filename: filename,
                contentType: kind.contentType, size: stored.count, locationRemoved: locationRemoved)
            let patient = draft.$patient.id
            try await messaging.write { store in
                try await store.insert(upload)
                try await store.audit("attachment.upload", "attachment", upload.id, actingFor: patient)
            }
            return AttachmentResponse(
                id: upload.id, filename: filename, contentType: upload.contentType, size: upload.size,
                downloadUrl: Self.downloadURL(upload.id), locationRemoved: locationRemoved)
        } catch {
            writer.discard()
            throw error
        }
    }

    /// Refuses a file that would take the uploader past the organisation's storage quota (sent files count too).
    private func checkQuota(adding size: Int) async throws {
        let used = try await messaging.attachmentBytes(uploadedBy: context.userID)
        let quota = context.organization.attachmentQuotaBytes
        if used + size > quota {
            throw MessagingError(
                .unprocessableEntity, "attachment_quota_reached",
                "You have used your \(AttachmentRules.megabytes(quota)) of attachment storage. Remove attachments from drafts you no longer need, or send the file another way.",
                field: "file")
        }
    }

    static let tooManyUploads = MessagingError(
        .tooManyRequests, "too_many_uploads",
        "You have attached many files in the last minute. Wait a minute, then try again.", field: "file")

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
            size: attachment.sizeBytes, downloadUrl: downloadURL(attachment.id!),
            locationRemoved: attachment.locationRemoved)
    }

    static func downloadURL(_ id: UUID) -> String { "/api/v1/attachments/\(id.uuidString)" }
}
