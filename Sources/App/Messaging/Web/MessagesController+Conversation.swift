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
        let input = DraftService.DraftInput(conversationId: id, body: form.body)
        let file = form.postedFile
        let action = form.removeAttachment != nil ? "remove" : (form.action ?? "send")
        do {
            guard form.draftId?.isEmpty == false || file != nil || action != "send" else {
                _ = try await request.messaging().reply(to: id, body: form.body, idempotencyKey: form.sendKey)
                return request.redirect(to: "/messages/\(id.uuidString)?sent=1", redirectType: .normal)
            }
            let draft = try await saveDraft(request, &form, input, file: file)
            guard action == "send" else {
                return request.redirect(to: "/messages/\(id.uuidString)#reply-heading", redirectType: .normal)
            }
            guard let draft else { throw MessagingError.nothingToSend }
            _ = try await request.drafts().send(draft.id, version: draft.version)
            return request.redirect(to: "/messages/\(id.uuidString)?sent=1", redirectType: .normal)
        } catch let error as MessagingError where error.field != nil {
            return try await renderConversation(
                request, form: form, errors: [Self.formField(error.field!): error.message], status: error.status)
        }
    }

    func renderConversation(
        _ request: Request, form: MessageForm?, errors: [String: String], status: HTTPResponseStatus
    )
        async throws -> Response
    {
        let messaging = try await request.messaging()
        let id = try request.uuidParameter("conversationID")
        let detail = try await messaging.show(id, markRead: form == nil)
        let context = messaging.context
        let zone = context.calendar.timeZone
        let replyDraft = try await request.drafts().replyDraft(in: id)

        var items: [(Date, TimelineItemModel)] = detail.messages.map { message in
            (
                message.createdAt,
                TimelineItemModel(
                    isMessage: true, byline: message.byline, time: PageFormat.dateTime(message.createdAt, in: zone),
                    isoTime: PageFormat.iso(message.createdAt), html: message.bodyHTML, summary: "",
                    fromCareTeam: message.side == "care_team",
                    attachments: message.attachments.map(AttachmentModel.init))
            )
        }
        items += detail.events.map { event in
            (
                event.at,
                TimelineItemModel(
                    isMessage: false, byline: event.by.name, time: PageFormat.dateTime(event.at, in: zone),
                    isoTime: PageFormat.iso(event.at), html: "", summary: event.summary, fromCareTeam: false,
                    attachments: [])
            )
        }
        items.sort { $0.0 < $1.0 }
        let lastFromPatientSide = detail.messages.last.map { $0.side != "care_team" } ?? false
        let facts = detail.conversation.facts

        let summary = detail.conversation
        let onCareTeam = ConversationRules.side(of: context.actor, in: facts) == .careTeam
        var panel: CareTeamPanel?
        if onCareTeam {
            let assignees = try await request.careTeam().assignees(for: id)
            panel = CareTeamPanel(
                patientName: summary.patient.name, birthDate: summary.patientBirthDate ?? "unknown",
                writtenByProxy: detail.messages.contains { $0.side == "proxy" },
                status: summary.status == "closed" ? "Done" : "Open", assignee: summary.assignee?.name ?? "Unassigned",
                dueBy: ConversationPresenter.longDate(summary.expectedReplyBy), overdue: summary.overdue,
                canClaim: summary.assignee?.id != context.userID, isDone: summary.status == "closed",
                assignees: assignees.map {
                    OptionModel(
                        value: $0.id.uuidString, label: $0.name, detail: nil, selected: $0.id == summary.assignee?.id)
                })
        }
        var replyBlocked: String?
        if let conversation = try? await MessagingQueries.visibleConversation(id, context, on: request.db) {
            do {
                _ = try await messaging.replySide(in: conversation)
            } catch let error as MessagingError {
                replyBlocked = error.message
            }
        }
        let page = ConversationPage(
            layout: try await LayoutModel.make(request, title: detail.conversation.title), careTeam: panel,
            readByCareTeam: onCareTeam ? nil : summary.readByCareTeamAt.map { PageFormat.dateTime($0, in: zone) },
            replyBlocked: replyBlocked,
            id: id.uuidString,
            title: detail.conversation.title, patientName: detail.conversation.patient.name,
            recipient: detail.conversation.recipient.name, messageType: detail.conversation.messageType,
            confidential: detail.conversation.confidential,
            canEdit: ConversationRules.canEditDetails(context.actor, facts), items: items.map(\.1),
            expectedReplyNotice: lastFromPatientSide ? detail.expectedReplyNotice : nil,
            justSent: (try? request.query.get(String.self, at: "sent")) != nil,
            replyText: form?.bodyText ?? replyDraft?.body?.plainText ?? "",
            replyJSON: form.map { $0.bodyJson ?? "" } ?? replyDraft?.body?.json ?? "",
            attachments: (replyDraft?.attachments ?? []).map(AttachmentModel.init),
            attachmentTypes: AttachmentModel.accept(context.organization.attachmentLimits),
            attachmentHint: AttachmentModel.hint(context.organization.attachmentLimits),
            replyDraftID: form?.draftId ?? replyDraft?.id.uuidString,
            replyDraftVersion: form?.version ?? replyDraft?.version,
            sendKey: form?.sendKey ?? UUID().uuidString, errors: errors,
            urgentNotice: context.organization.urgentNotice)
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
        let messaging = try await request.messaging()
        let detail = try await messaging.show(try request.uuidParameter("conversationID"), markRead: false)
        let form = EditForm(
            version: detail.version, subject: detail.conversation.subject,
            recipient: PageFormat.value(detail.conversation.recipient),
            confidential: detail.conversation.confidential ? "on" : nil)
        return try await renderEdit(request, messaging, detail, form: form, errors: [:], status: .ok)
    }

    @Sendable func submitEdit(request: Request) async throws -> Response {
        let messaging = try await request.messaging()
        let id = try request.uuidParameter("conversationID")
        let form = try request.content.decode(EditForm.self)
        let detail = try await messaging.show(id, markRead: false)
        let input = MessagingService.EditInput(
            subject: .some(form.subject), recipient: PageFormat.recipient(from: form.recipient),
            confidential: detail.conversation.confidential || form.confidential == "on")
        do {
            _ = try await messaging.editDetails(id, version: form.version, input)
            return request.redirect(to: "/messages/\(id.uuidString)", redirectType: .normal)
        } catch let error as MessagingError where error.field != nil || error == .versionConflict {
            let message = error.message
            return try await renderEdit(
                request, messaging, try await messaging.show(id, markRead: false), form: form,
                errors: [error.field ?? "form": message], status: error.status)
        }
    }

    func renderEdit(
        _ request: Request, _ messaging: MessagingService, _ detail: ConversationResponse, form: EditForm,
        errors: [String: String], status: HTTPResponseStatus
    ) async throws -> Response {
        let context = messaging.context
        let conversation = detail.conversation
        let facts = conversation.facts
        guard ConversationRules.canEditDetails(context.actor, facts) else { throw MessagingError.forbidden }
        let type = messaging.messageTypes().first { $0.name == conversation.messageType }
        var recipients = try await messaging.recipients(
            patient: conversation.patient.id, type: type?.id, matching: nil)
        if !recipients.contains(conversation.recipient) { recipients.insert(conversation.recipient, at: 0) }
        let page = EditPage(
            layout: try await LayoutModel.make(request, title: "Edit"), id: conversation.id.uuidString,
            version: detail.version, title: conversation.title, subject: form.subject ?? "",
            recipients: recipients.map {
                OptionModel(
                    value: PageFormat.value($0), label: $0.name, detail: $0.detail,
                    selected: PageFormat.value($0) == form.recipient)
            },
            showConfidentiality: ConversationRules.canSetConfidentiality(context.actor, facts)
                && (type?.allowsConfidentiality ?? false),
            confidential: form.confidential == "on" || conversation.confidential,
            confidentialLocked: conversation.confidential, errors: errors, errorSummary: Array(errors.values))
        return try await request.view.render("edit", page).encodeResponse(status: status, for: request)
    }
}
