import Domain
import Fluent
import Vapor

extension MessagesController {
    @Sendable func show(request: Request) async throws -> Response {
        try await renderConversation(request, form: nil, errors: [:], status: .ok)
    }

    @Sendable func reply(request: Request) async throws -> Response {
        let id = try request.uuidParameter("conversationID")
        var form = try request.content.decode(MessageForm.self)
        let input = Drafts.DraftInput(conversationId: id, body: form.body)
        let file = form.postedFile
        let action = form.removeAttachment != nil ? "remove" : (form.action ?? "send")
        do {
            guard form.draftId?.isEmpty == false || file != nil || action != "send" else {
                _ = try await request.sendMessage().reply(to: id, body: form.body, idempotencyKey: form.sendKey)
                return request.redirect(to: "/messages/\(id.uuidString)?sent=1", redirectType: .normal)
            }
            let draft = try await saveDraft(request, &form, input, file: file)
            guard action == "send" else {
                return request.redirect(to: "/messages/\(id.uuidString)#reply-heading", redirectType: .normal)
            }
            guard let draft else { throw MessagingError.nothingToSend }
            _ = try await request.sendMessage().send(draft: draft.id, version: draft.version)
            return request.redirect(to: "/messages/\(id.uuidString)?sent=1", redirectType: .normal)
        } catch let error as MessagingError where error == .idempotencyKeyReused {
            form.sendKey = nil
            return try await renderConversation(
                request, form: form, errors: ["body_text": Self.sentBeforeText], status: error.status)
        } catch let error as MessagingError where error.field != nil {
            return try await renderConversation(
                request, form: form, errors: [Self.formField(error.field!): error.message], status: error.status)
        }
    }

    func renderConversation(
        _ request: Request, form: MessageForm?, errors: [String: String], status: HTTPResponseStatus
    ) async throws -> Response {
        let reading = try await request.readConversation()
        let id = try request.uuidParameter("conversationID")
        let before = (try? request.query.get(Int.self, at: "before")).flatMap { $0 > 0 ? $0 : nil }
        let opened = try await reading.open(id, before: before, markRead: form == nil)
        var assignees: [PersonResponse] = []
        var nextInQueue: UUID?
        let worked = (try? request.query.get(String.self, at: "worked")).flatMap(CareTeamController.Worked.init)
        if opened.row.side == .careTeam {
            let work = try await request.careTeamWork()
            assignees = try await work.assignees(for: id)
            if worked != nil {
                nextInQueue = try await work.inBasket(.open, cursor: nil, limit: 2).items.first { $0.id != id }?.id
            }
        }
        let page = ConversationPage(
            layout: try await LayoutModel.make(request, title: opened.response.conversation.title), opened: opened,
            context: reading.context, assignees: assignees,
            replyBlocked: try await reading.replyRefusal(in: opened.row)?.message,
            replyDraft: try await request.drafts().replyDraft(in: id), form: form, errors: errors,
            justSent: (try? request.query.get(String.self, at: "sent")) != nil, worked: worked, nextInQueue: nextInQueue
        )
        return try await request.view.render("conversation", page).encodeResponse(status: status, for: request)
    }

    // MARK: Edit

    struct EditForm: Content {
        var version: Int?
        var subject: String?
        var recipient: String?
        var confidential: String?
    }

    @Sendable func edit(request: Request) async throws -> Response {
        let reading = try await request.readConversation()
        let opened = try await reading.open(try request.uuidParameter("conversationID"), markRead: false)
        let conversation = opened.response.conversation
        let form = EditForm(
            version: opened.response.version, subject: conversation.subject,
            recipient: PageFormat.value(conversation.recipient), confidential: conversation.confidential ? "on" : nil)
        return try await renderEdit(request, reading, opened, form: form, errors: [:], status: .ok)
    }

    @Sendable func submitEdit(request: Request) async throws -> Response {
        let reading = try await request.readConversation()
        let id = try request.uuidParameter("conversationID")
        let form = try request.content.decode(EditForm.self)
        let opened = try await reading.open(id, markRead: false)
        let current = opened.row.conversation
        let facts = opened.row.facts
        let actor = reading.context.actor
        // Only the details this person may change are on the form; the others stay as they are.
        let input = EditDetails.EditInput(
            subject: ConversationRules.canChangeSubject(actor, facts) ? .some(form.subject) : nil,
            recipient: ConversationRules.canChangeRecipient(actor, facts)
                ? PageFormat.recipient(from: form.recipient) : nil,
            confidential: current.confidential || form.confidential == "on")
        do {
            _ = try await request.editDetails().edit(id, version: form.version, input)
            return request.redirect(to: "/messages/\(id.uuidString)", redirectType: .normal)
        } catch let error as MessagingError where error.field != nil || error == .versionConflict {
            return try await renderEdit(
                request, reading, try await reading.open(id, markRead: false), form: form,
                errors: [error.field ?? "form": error.message], status: error.status)
        }
    }

    func renderEdit(
        _ request: Request, _ reading: ReadConversation, _ opened: ReadConversation.Opened, form: EditForm,
        errors: [String: String], status: HTTPResponseStatus
    ) async throws -> Response {
        let actor = reading.context.actor
        let conversation = opened.response.conversation
        let facts = opened.row.facts
        guard ConversationRules.canEditDetails(actor, facts) else { throw MessagingError.forbidden }
        let type = reading.messageTypes().first { $0.id == opened.row.conversation.$messageType.id }
        var recipients: [RecipientResponse] = []
        if ConversationRules.canChangeRecipient(actor, facts) {
            recipients = try await reading.recipients(patient: conversation.patient.id, type: type?.id, matching: nil)
        }
        if !recipients.contains(conversation.recipient) { recipients.insert(conversation.recipient, at: 0) }
        let page = EditPage(
            layout: try await LayoutModel.make(request, title: "Edit"), id: conversation.id.uuidString,
            version: opened.response.version, title: conversation.title, subject: form.subject ?? "",
            canChangeSubject: ConversationRules.canChangeSubject(actor, facts),
            canChangeRecipient: ConversationRules.canChangeRecipient(actor, facts),
            recipients: recipients.map {
                OptionModel(
                    value: PageFormat.value($0), label: $0.name, detail: $0.detail,
                    selected: PageFormat.value($0) == form.recipient)
            },
            showConfidentiality: ConversationRules.canSetConfidentiality(actor, facts)
                && (type?.allowsConfidentiality ?? false),
            confidential: form.confidential == "on" || conversation.confidential,
            confidentialLocked: conversation.confidential, errors: errors,
            errorSummary: ErrorSummaryItem.list(errors, order: ["form", "subject", "recipient"]))
        return try await request.view.render("edit", page).encodeResponse(status: status, for: request)
    }
}
