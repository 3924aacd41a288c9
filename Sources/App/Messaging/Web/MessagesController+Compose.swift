import Domain
import Fluent
import Vapor

extension MessagesController {
    /// What the New Message form posts. `action` is the button pressed: Send, Close (keep as draft) or Next (show the
    /// recipients for the chosen type, for browsers without JavaScript).
    struct ComposeForm: Content {
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

        enum CodingKeys: String, CodingKey {
            case patient, recipient, subject, confidential, action
            case messageType = "message_type"
            case bodyText = "body_text"
            case bodyJson = "body_json"
            case draftId = "draft_id"
            case draftVersion = "draft_version"
            case sendKey = "send_key"
        }

        var version: Int? { draftVersion.flatMap { Int($0) } }

        /// The rich-text editor's document when the browser ran it, else the plain text area.
        var body: MessageBodyInput? {
            if let json = bodyJson, !json.isEmpty, let document = RichTextDocument.fromJSON(json) {
                return .document(document)
            }
            return bodyText.map(MessageBodyInput.text)
        }

        var draftInput: DraftService.DraftInput {
            DraftService.DraftInput(
                patientId: patient.flatMap(UUID.init(uuidString:)), conversationId: nil,
                messageTypeId: messageType.flatMap(UUID.init(uuidString:)),
                recipient: PageFormat.recipient(from: recipient), subject: subject, confidential: confidential == "on",
                body: body)
        }
    }

    @Sendable func compose(request: Request) async throws -> Response {
        let messaging = try await request.messaging()
        var form = ComposeForm()
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
        } else {
            form.messageType = try request.uuidQuery("type")?.uuidString
        }
        return try await renderCompose(request, messaging, form: form, errors: [:], status: .ok)
    }

    @Sendable func submitCompose(request: Request) async throws -> Response {
        let messaging = try await request.messaging()
        let form = try request.content.decode(ComposeForm.self)
        let drafts = try await request.drafts()
        let draftID = form.draftId.flatMap(UUID.init(uuidString:))
        do {
            switch form.action {
            case "close":
                if let draftID {
                    _ = try await drafts.update(draftID, version: form.version, form.draftInput)
                } else {
                    _ = try await drafts.create(form.draftInput)
                }
                return request.redirect(to: "/messages?folder=drafts&saved=1", redirectType: .normal)
            case "send":
                let conversationID: UUID
                if let draftID {
                    let saved = try await drafts.update(draftID, version: form.version, form.draftInput)
                    guard let saved else { throw MessagingError.nothingToSend }
                    conversationID = try await drafts.send(draftID, version: saved.version).conversationID
                } else {
                    let input = MessagingService.StartInput(
                        patientId: form.draftInput.patientId, messageTypeId: form.draftInput.messageTypeId,
                        recipient: form.draftInput.recipient, subject: form.subject,
                        confidential: form.confidential == "on", body: form.body)
                    conversationID = try await messaging.start(input, idempotencyKey: form.sendKey)
                        .conversation.conversation.id
                }
                let response = request.redirect(
                    to: "/messages/\(conversationID.uuidString)?sent=1", redirectType: .normal)
                return response
            default:
                return try await renderCompose(request, messaging, form: form, errors: [:], status: .ok)
            }
        } catch let error as MessagingError where error.field != nil {
            return try await renderCompose(
                request, messaging, form: form, errors: [Self.formField(error.field!): error.message],
                status: .unprocessableEntity)
        }
    }

    /// The form's name for a service field.
    static func formField(_ field: String) -> String {
        switch field {
        case "message_type": "message_type"
        case "body": "body_text"
        default: field
        }
    }

    func renderCompose(
        _ request: Request, _ messaging: MessagingService, form: ComposeForm, errors: [String: String],
        status: HTTPResponseStatus
    ) async throws -> Response {
        let context = messaging.context
        let viewing = try await Self.viewing(request, messaging)
        let patient =
            form.patient.flatMap(UUID.init(uuidString:)) ?? viewing.flatMap { UUID(uuidString: $0.current) }
            ?? context.userID
        guard ConversationRules.canStart(context.actor, for: UserID(patient)) else { throw MessagingError.notFound }

        let types = try await messaging.messageTypes()
        let chosen = types.first { $0.id.uuidString == form.messageType }
        var recipients: [RecipientResponse] = []
        if let chosen { recipients = try await messaging.recipients(patient: patient, type: chosen.id, matching: nil) }
        let patientIsMe = patient == context.userID && context.actor.roles.contains(.patient)
        let patientName =
            patientIsMe ? nil : try await messaging.actingFor().first { $0.patient.id == patient }?.patient.name

        let page = ComposePage(
            layout: try await LayoutModel.make(request, title: "New Message"), viewing: viewing,
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
            draftID: form.draftId, draftVersion: form.version, sendKey: form.sendKey ?? UUID().uuidString,
            errors: errors,
            errorSummary: Array(errors.values), replyNotice: context.organization.replyNotice,
            urgentNotice: context.organization.urgentNotice)
        return try await request.view.render("compose", page).encodeResponse(status: status, for: request)
    }
}
