import Domain
import Foundation

extension ConversationPage {
    /// The conversation page as the actor sees it, from what opening it returned: the words depend on their side (a
    /// patient is told when to expect a reply and not to use messaging for emergencies; the care team sees the patient
    /// panel instead).
    init(
        layout: LayoutModel, opened: ReadConversation.Opened, context: MessagingContext, assignees: [PersonResponse],
        replyBlocked: String?, replyDraft: DraftResponse?, form: MessagesController.MessageForm?,
        errors: [String: String], justSent: Bool, worked: CareTeamController.Worked? = nil, nextInQueue: UUID? = nil
    ) {
        let detail = opened.response
        let summary = detail.conversation
        let zone = context.calendar.timeZone
        let onCareTeam = opened.row.side == .careTeam
        var items: [(Date, TimelineItemModel)] = detail.messages.map { message in
            (
                message.createdAt,
                TimelineItemModel(
                    isMessage: true, byline: message.byline, time: PageFormat.dateTime(message.createdAt, in: zone),
                    isoTime: PageFormat.iso(message.createdAt), html: message.bodyHTML, summary: "",
                    fromCareTeam: message.side == ConversationSide.careTeam.rawValue,
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

        var panel: CareTeamPanel?
        if onCareTeam {
            panel = CareTeamPanel(
                patientName: summary.patient.name,
                born: summary.patientBirthDate.flatMap(CalendarDate.init).map {
                    "\($0.years(until: context.today)) years old, born \($0.spelledOut)"
                } ?? "date of birth not recorded",
                recordNumber: summary.patientRecordNumber,
                writtenByProxy: detail.messages.contains { $0.side == ConversationSide.proxy.rawValue },
                status: summary.status == "closed" ? "Done" : "Open", assignee: summary.assignee?.name ?? "Unassigned",
                dueBy: ConversationPresenter.longDate(summary.expectedReplyBy), overdue: summary.overdue,
                canClaim: summary.assignee?.id != context.userID, isDone: summary.status == "closed",
                // No one is chosen in advance: Assign gives it to the person picked, never to whoever was first.
                assignees: assignees.map {
                    OptionModel(value: $0.id.uuidString, label: $0.name, detail: nil, selected: false)
                }, currentAssignee: summary.assignee?.id.uuidString,
                confirmation: worked.map { $0.confirmation(assignee: summary.assignee?.name) },
                nextInQueue: nextInQueue.map { "/messages/\($0.uuidString)" })
        }
        self.init(
            layout: layout, careTeam: panel,
            readByCareTeam: onCareTeam ? nil : summary.readByCareTeamAt.map { PageFormat.dateTime($0, in: zone) },
            replyBlocked: replyBlocked, id: summary.id.uuidString, title: summary.title,
            patientName: summary.patient.name,
            recipientLabel: summary.startedBy == ConversationSide.careTeam.rawValue ? "From" : "To",
            recipient: summary.recipient.name, messageType: summary.messageType, confidential: summary.confidential,
            canEdit: ConversationRules.canEditDetails(context.actor, opened.row.facts), items: items.map(\.1),
            earlierHref: detail.earlierBefore.map { "/messages/\(summary.id.uuidString)?before=\($0)" },
            latestHref: (detail.messages.last?.seq ?? 0) < opened.row.conversation.lastMessageSeq
                ? "/messages/\(summary.id.uuidString)" : nil,
            expectedReplyNotice: detail.expectedReplyNotice, justSent: justSent,
            replyText: form?.bodyText ?? replyDraft?.body?.plainText ?? "",
            replyJSON: form.map { $0.bodyJson ?? "" } ?? replyDraft?.body?.json ?? "",
            attachments: (replyDraft?.attachments ?? []).map(AttachmentModel.init),
            attachmentTypes: AttachmentModel.accept(context.organization.attachmentLimits),
            attachmentHint: AttachmentModel.hint(context.organization.attachmentLimits),
            replyDraftID: form?.draftId ?? replyDraft?.id.uuidString,
            replyDraftVersion: form?.version ?? replyDraft?.version,
            sendKey: form?.sendKey ?? UUID().uuidString, errors: errors,
            urgentNotice: onCareTeam ? nil : context.organization.urgentNotice)
        if latestHref == nil { liveSeq = String(detail.messages.last?.seq ?? 0) }
    }
}
