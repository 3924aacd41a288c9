import Domain
import Fluent
import Vapor

extension MessagesController {
    /// What the New Message and reply forms post (a reply uses the body, draft and attachment fields). `action` is
    /// the button pressed: Send, Close (keep as draft) or Next (show the
    /// recipients for the chosen type, for browsers without JavaScript).
    struct MessageForm: Content {
        var patient: String?
        var messageType: String?
        var recipient: String?
        var subject: String?
        var confidential: String?
        var bodyText: String?
        var bodyJson: String?
        var draftId: String?
        /// Text, since the field is empty until the first save.
        var draftVersion: String?
        var sendKey: String?
        var action: String?
        /// A file chosen with Add Attachment, posted with the form when the browser runs no script.
        var attachment: File?
        var removeAttachment: String?

        enum CodingKeys: String, CodingKey {
            case patient, recipient, subject, confidential, action, attachment
            case removeAttachment = "remove_attachment"
            case messageType = "message_type"
            case bodyText = "body_text"
            case bodyJson = "body_json"
            case draftId = "draft_id"
            case draftVersion = "draft_version"
            case sendKey = "send_key"
        }

        var version: Int? { draftVersion.flatMap { Int($0) } }

        /// The file posted with the form, if one was chosen.
        var postedFile: File? { attachment.flatMap { $0.data.readableBytes > 0 || !$0.filename.isEmpty ? $0 : nil } }

        /// The rich-text editor's document when the browser ran it, else the plain text area.
        var body: MessageBodyInput? {
            if let json = bodyJson, !json.isEmpty, let document = RichTextDocument.fromJSON(json) {
                return .document(document)
            }
            return bodyText.map(MessageBodyInput.text)
        }

        var draftInput: Drafts.DraftInput {
            Drafts.DraftInput(
                patientId: patient.flatMap(UUID.init(uuidString:)), conversationId: nil,
                messageTypeId: messageType.flatMap(UUID.init(uuidString:)),
                recipient: PageFormat.recipient(from: recipient), subject: subject, confidential: confidential == "on",
                body: body)
        }
    }

    @Sendable func compose(request: Request) async throws -> Response {
        let reading = try await request.readConversation()
        var form = MessageForm()
        var attachments: [AttachmentResponse] = []
        if let draftID = try request.uuidQuery("draft") {
            let draft = try await request.drafts().get(draftID)
            form.patient = draft.patientId.uuidString
            form.messageType = draft.messageTypeId?.uuidString
            form.recipient = draft.recipient.map(PageFormat.value)
            form.subject = draft.subject
            form.confidential = draft.confidential ? "on" : nil
            form.bodyText = draft.body?.plainText
            form.bodyJson = draft.body?.json
            form.draftId = draft.id.uuidString
            form.draftVersion = String(draft.version)
            attachments = draft.attachments
        } else {
            form.messageType = try request.uuidQuery("type")?.uuidString
            form.patient = try request.uuidQuery("patient")?.uuidString
        }
        return try await renderCompose(
            request, reading, form: form, attachments: attachments, errors: [:], status: .ok)
    }

    @Sendable func submitCompose(request: Request) async throws -> Response {
        let reading = try await request.readConversation()
        var form = try request.content.decode(MessageForm.self)
        do {
            let file = form.postedFile
            let action = form.removeAttachment != nil ? "remove" : (form.action ?? "")
            guard form.draftId?.isEmpty == false || file != nil || ["attach", "remove", "close"].contains(action) else {
                if action != "send" {
                    return try await renderCompose(request, reading, form: form, errors: [:], status: .ok)
                }
                // Nothing saved yet and nothing attached: send directly, once per rendering of the form.
                let input = SendMessage.StartInput(
                    patientId: form.draftInput.patientId, messageTypeId: form.draftInput.messageTypeId,
                    recipient: form.draftInput.recipient, subject: form.subject,
                    confidential: form.confidential == "on",
                    body: form.body)
                let id = try await request.sendMessage().start(input, idempotencyKey: form.sendKey).conversationID
                return request.redirect(to: "/messages/\(id.uuidString)?sent=1", redirectType: .normal)
            }
            let input = form.draftInput
            let draft = try await saveDraft(request, &form, input, file: file)
            switch action {
            case "send":
                guard let draft else { throw MessagingError.nothingToSend }
                let sent = try await request.sendMessage().send(draft: draft.id, version: draft.version)
                return request.redirect(to: "/messages/\(sent.conversationID.uuidString)?sent=1", redirectType: .normal)
            case "close":
                return request.redirect(to: "/messages?folder=drafts&saved=1", redirectType: .normal)
            default:
                return request.redirect(
                    to: draft.map { "/messages/new?draft=\($0.id.uuidString)" } ?? "/messages/new",
                    redirectType: .normal)
            }
        } catch let error as MessagingError where error == .idempotencyKeyReused {
            // The form was sent before and then changed (the browser's Back button): offer to send it as a new one.
            form.sendKey = nil
            return try await renderCompose(
                request, reading, form: form, errors: ["body_text": Self.sentBeforeText], status: error.status)
        } catch let error as MessagingError where error == .versionConflict {
            // The draft was saved in another window since this one opened it. Show what was written here, at the
            // draft's current version, so Save or Send keeps it knowingly instead of answering with a bare 409.
            if let id = form.draftId.flatMap(UUID.init(uuidString:)),
                let current = try? await request.drafts().get(id)
            {
                form.draftVersion = String(current.version)
            }
            return try await renderCompose(
                request, reading, form: form, errors: ["draft": Self.changedElsewhereText], status: error.status)
        } catch let error as MessagingError where error.field != nil {
            return try await renderCompose(
                request, reading, form: form, errors: [Self.formField(error.field!): error.message],
                status: error.status)
        }
    }

    /// Saves the form as a draft (creating it if needed), then adds the posted file or removes one. The form's draft id
    /// and version follow each save, so when a file is refused the form shown again holds the draft as it now is: the
    /// next Send or Close neither conflicts nor makes a second draft. A draft that holds a file is kept even with no
    /// text yet; one made only for a file that was then refused is not.
    func saveDraft(_ request: Request, _ form: inout MessageForm, _ input: Drafts.DraftInput, file: File?)
        async throws -> DraftResponse?
    {
        let drafts = try await request.drafts()
        let existing = form.draftId.flatMap(UUID.init(uuidString:))
        let draft =
            if let existing {
                try await drafts.update(existing, version: form.version, input)
            } else {
                try await drafts.create(input, keepEmpty: file != nil)
            }
        form.draftId = draft?.id.uuidString
        form.draftVersion = draft.map { String($0.version) }
        guard let draft else { return nil }
        let attachments = try await request.attachments()
        if let file {
            let body = AsyncStream<ByteBuffer> { continuation in
                continuation.yield(file.data)
                continuation.finish()
            }
            do {
                _ = try await attachments.upload(toDraft: draft.id, filename: file.filename, body: body)
            } catch {
                if existing == nil, draft.subject == nil, draft.body == nil, draft.attachments.isEmpty {
                    try await drafts.discard(draft.id, version: draft.version)
                    (form.draftId, form.draftVersion) = (nil, nil)
                }
                throw error
            }
        }
        if let removing = form.removeAttachment.flatMap(UUID.init(uuidString:)) {
            try await attachments.remove(removing, fromDraft: draft.id)
        }
        return file == nil && form.removeAttachment == nil ? draft : try await drafts.get(draft.id)
    }

    static let changedElsewhereText =
        "This draft was also changed in another window. This page shows what you wrote here; Save or Send keeps it in place of the other window's changes."

    static let sentBeforeText =
        "This form was already used to send a message. Check Sent, and press Send again to send this as a new message."

    /// The form's name for a service field.
    static func formField(_ field: String) -> String {
        switch field {
        case "message_type": "message_type"
        case "body": "body_text"
        case "file": "attachment"
        default: field
        }
    }

    func renderCompose(
        _ request: Request, _ reading: ReadConversation, form: MessageForm, attachments: [AttachmentResponse]? = nil,
        errors: [String: String], status: HTTPResponseStatus
    ) async throws -> Response {
        var attachments = attachments ?? []
        if attachments.isEmpty, let id = form.draftId.flatMap(UUID.init(uuidString:)) {
            attachments = (try? await request.drafts().get(id))?.attachments ?? []
        }
        let context = reading.context
        let layout = try await LayoutModel.make(request, title: "New Message")
        let patient =
            form.patient.flatMap(UUID.init(uuidString:)) ?? layout.viewing.flatMap { UUID(uuidString: $0.current) }
            ?? context.userID
        guard ConversationRules.canStart(context.actor, for: UserID(patient)) else { throw MessagingError.notFound }

        let types = reading.startableTypes(as: [reading.directory.patientSide(for: patient)])
        let chosen = types.first { $0.id.uuidString == form.messageType }
        var recipients: [RecipientResponse] = []
        if let chosen { recipients = try await reading.recipients(patient: patient, type: chosen.id, matching: nil) }
        let patientIsMe = patient == context.userID && context.actor.roles.contains(.patient)
        let patientName =
            patientIsMe ? nil : try await reading.actingFor().first { $0.patient.id == patient }?.patient.name

        var page = ComposePage(
            layout: layout,
            patientID: patient.uuidString, patientName: patientName,
            types: types.map {
                OptionModel(
                    value: $0.id.uuidString, label: $0.name, detail: $0.description, selected: $0.id == chosen?.id)
            },
            typeChosen: chosen != nil,
            recipients: recipients.map {
                OptionModel(
                    value: PageFormat.value($0), label: $0.name, detail: $0.detail,
                    selected: PageFormat.value($0) == form.recipient)
            },
            subject: form.subject ?? "", showConfidentiality: patientIsMe && (chosen?.allowsConfidentiality ?? true),
            confidential: form.confidential == "on", bodyText: form.bodyText ?? "", bodyJSON: form.bodyJson ?? "",
            draftID: form.draftId, draftVersion: form.version, attachments: attachments.map(AttachmentModel.init),
            attachmentTypes: AttachmentModel.accept(context.organization.attachmentLimits),
            attachmentHint: AttachmentModel.hint(context.organization.attachmentLimits),
            sendKey: form.sendKey ?? UUID().uuidString,
            errors: errors,
            errorSummary: ErrorSummaryItem.list(
                errors, order: ["form", "message_type", "recipient", "subject", "body_text", "confidential"],
                targets: ["message_type": "message_type-error"]),
            replyNotice: context.organization.replyNotice,
            urgentNotice: context.organization.urgentNotice)
        page.showAttachments = chosen?.allowsAttachments ?? true
        page.typesWithoutAttachments = types.filter { !$0.allowsAttachments }.map(\.id.uuidString).joined(
            separator: " ")
        return try await request.view.render("compose", page).encodeResponse(status: status, for: request)
    }
}
