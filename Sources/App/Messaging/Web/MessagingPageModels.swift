import Domain
import Foundation

/// One option in a select or radio list.
struct OptionModel: Encodable {
    let value: String
    let label: String
    let detail: String?
    let selected: Bool
}

/// Whose messages someone acting for others is looking at: the banner on every page ("You are viewing Alex Rivera's
/// messages") and its "Viewing:" switch, each person with their unread count.
struct ViewingModel: Encodable {
    let patients: [OptionModel]
    let current: String
    /// The person being viewed's unread conversations: the Messages badge's count.
    let currentUnread: Int
    /// The person being viewed, by name; nil when it is the signed-in person themselves.
    let otherName: String?
    /// Where the switch returns to: the page it was on.
    let back: String
}

extension Folder {
    var title: String {
        switch self {
        case .inbox: "Inbox"
        case .sent: "Sent"
        case .drafts: "Drafts"
        case .archived: "Archived"
        }
    }
}

struct InboxRowModel: Encodable {
    let href: String
    let id: String
    let otherSide: String
    let title: String
    let patientName: String?
    let date: String
    let unread: Bool
    let confidential: Bool
    let archived: Bool
    /// Who wrote last ("You", "Dr. Maya Chen", "Jordan Rivera for Alex") and what, on one line.
    let writer: String
    let preview: String
    let hasAttachments: Bool
    /// "Closed", "Replied", or "Waiting for a reply, expected by …".
    let status: String
    /// Marking unread is offered for what came from the other side and has been read.
    let canMarkUnread: Bool

    /// A row of a folder as seen by someone acting for `patients`: the other side's name (the provider or pool, or for
    /// the care team the patient), and for a proxy not viewing one person, whose conversation it is.
    init(_ item: ConversationSummaryResponse, actingFor patients: Set<UserID>, viewing: Bool, in zone: TimeZone) {
        let patientSide = patients.contains(UserID(item.patient.id))
        href = "/messages/\(item.id.uuidString)"
        id = item.id.uuidString
        otherSide = patientSide ? item.recipient.name : item.patient.name
        title = item.title
        patientName = patientSide && !viewing && patients.count > 1 ? item.patient.name : nil
        date = PageFormat.dateTime(item.lastMessageAt, in: zone)
        unread = item.unread
        confidential = item.confidential
        archived = item.archived
        writer = item.lastMessage?.writer ?? ""
        preview = item.lastMessage?.preview ?? ""
        hasAttachments = item.hasAttachments
        let careTeamWroteLast = item.lastMessage?.side == ConversationSide.careTeam.rawValue
        status =
            item.status == Conversation.Status.closed.rawValue
            ? "Closed"
            : careTeamWroteLast
                ? "Replied" : "Waiting for a reply, expected by \(ConversationPresenter.longDate(item.expectedReplyBy))"
        canMarkUnread = !item.unread && careTeamWroteLast == patientSide
    }
}

struct DraftRowModel: Encodable {
    let href: String
    let id: String
    let version: Int
    let title: String
    let to: String
    let date: String
    /// How much of a draft's text names a draft without a subject.
    static let firstWords = 40

    /// A new draft is named by its subject, or else the first words of its text ("I have had a rash on my…"); a reply
    /// draft by the conversation it answers: "Reply: Rash on my arm".
    init(_ draft: DraftResponse, in zone: TimeZone) {
        href =
            draft.conversationId.map { "/messages/\($0.uuidString)#reply-heading" }
            ?? "/messages/new?draft=\(draft.id.uuidString)"
        id = draft.id.uuidString
        version = draft.version
        let firstWords = draft.body.map { ConversationPresenter.preview($0.plainText, limit: Self.firstWords) } ?? ""
        title =
            draft.conversationId == nil
            ? draft.subject ?? (firstWords.isEmpty ? "New message" : firstWords)
            : "Reply: \(draft.conversationTitle ?? "conversation")"
        to = draft.recipient?.name ?? ""
        date = PageFormat.dateTime(draft.updatedAt, in: zone)
    }
}

struct MessagesPage: Encodable {
    let layout: LayoutModel
    let folder: String
    let folderTitle: String
    let folders: [OptionModel]
    let rows: [InboxRowModel]
    let drafts: [DraftRowModel]
    let nextPage: String?
    let notice: String?
}

struct ComposePage: Encodable {
    let layout: LayoutModel
    let patientID: String
    let patientName: String?
    let types: [OptionModel]
    let typeChosen: Bool
    let recipients: [OptionModel]
    let subject: String
    let showConfidentiality: Bool
    let confidential: Bool
    let bodyText: String
    let bodyJSON: String
    let draftID: String?
    let draftVersion: Int?
    let attachments: [AttachmentModel]
    /// False when the chosen type allows no attachments: Add Attachment is not offered.
    var showAttachments = true
    /// The types that allow no attachments, space-separated, for the script to hide Add Attachment when one is chosen.
    var typesWithoutAttachments = ""
    /// The file input's `accept` list.
    let attachmentTypes: String
    /// What may be attached, from the organisation's settings.
    let attachmentHint: String
    /// New for each rendering of the form: sending the same form twice sends once.
    let sendKey: String
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]
    let replyNotice: String
    let urgentNotice: String
}

/// A file as a page lists it: name, type, size and where to download it.
struct AttachmentModel: Encodable {
    let id: String
    let filename: String
    let typeLabel: String
    let sizeText: String
    let href: String
    /// Whether where the photo was taken was removed from it, which the sender is told beside the file.
    let locationRemoved: Bool

    init(_ attachment: AttachmentResponse) {
        id = attachment.id.uuidString
        filename = attachment.filename
        typeLabel = AttachmentKind.allCases.first { $0.contentType == attachment.contentType }?.label ?? "file"
        sizeText = Self.size(attachment.size)
        href = attachment.downloadUrl
        locationRemoved = attachment.locationRemoved
    }

    static func size(_ bytes: Int) -> String {
        switch bytes {
        case ..<1000: "\(bytes) bytes"
        case ..<1_000_000: "\((bytes + 500) / 1000) KB"
        default: String(format: "%.1f MB", Double(bytes) / 1_000_000)
        }
    }

    /// "PDF, PNG image, … or Excel workbook files. Up to 5 files, 10 MB each."
    static func hint(_ limits: AttachmentLimits) -> String {
        let kinds = AttachmentKind.allCases.filter(limits.allowed.contains).map(\.label)
        guard let last = kinds.last else { return "Files cannot be attached." }
        let list = kinds.count == 1 ? last : kinds.dropLast().joined(separator: ", ") + " or " + last
        let each =
            limits.maxFileBytes % 1_000_000 == 0 ? "\(limits.maxFileBytes / 1_000_000) MB" : size(limits.maxFileBytes)
        return "\(list) files. Up to \(limits.maxFiles) file\(limits.maxFiles == 1 ? "" : "s"), \(each) each."
    }

    static func accept(_ limits: AttachmentLimits) -> String {
        limits.allowed.sorted { $0.rawValue < $1.rawValue }.flatMap {
            [$0.contentType] + $0.extensions.map { "." + $0 }
        }
        .joined(separator: ",")
    }
}

struct TimelineItemModel: Encodable {
    let isMessage: Bool
    let byline: String
    let time: String
    let isoTime: String
    /// Rendered by `RichTextDocument.html`, which escapes every text and attribute.
    let html: String
    let summary: String
    let fromCareTeam: Bool
    let attachments: [AttachmentModel]
}

/// What the care team sees above a conversation, and the buttons that work it.
struct CareTeamPanel: Encodable {
    let patientName: String
    /// "38 years old, born April 12, 1988".
    let born: String
    /// The organisation's number for the patient's record, when it has one.
    let recordNumber: String?
    let writtenByProxy: Bool
    let status: String
    let assignee: String
    let dueBy: String
    let overdue: Bool
    let canClaim: Bool
    let isDone: Bool
    let assignees: [OptionModel]
    /// The assignee's id as shown, posted with Assign so that a change meanwhile is refused rather than overwritten.
    let currentAssignee: String?
    /// What Claim, Assign, Mark as Done or Reopen just did: "You claimed this conversation."
    let confirmation: String?
    /// After one of those: the next conversation of the Open queue, if there is one.
    let nextInQueue: String?
}

struct ConversationPage: Encodable {
    let layout: LayoutModel
    let careTeam: CareTeamPanel?
    /// "Nov 25, 2026, 9:10 AM", for the patient side once the care team has opened it.
    let readByCareTeam: String?
    /// Why replying is not possible here, in place of the reply box.
    let replyBlocked: String?
    let id: String
    let title: String
    let patientName: String
    /// "To", or "From" on a conversation the care team started.
    let recipientLabel: String
    let recipient: String
    let messageType: String
    let confidential: Bool
    let canEdit: Bool
    let items: [TimelineItemModel]
    /// "Show earlier messages", when the first message is not shown.
    let earlierHref: String?
    /// "Show the latest messages", on an earlier page.
    let latestHref: String?
    let expectedReplyNotice: String?
    let justSent: Bool
    let replyText: String
    /// The reply draft's rich-text document, for the editor.
    let replyJSON: String
    /// Files in the reply being written.
    let attachments: [AttachmentModel]
    let attachmentTypes: String
    let attachmentHint: String
    let replyDraftID: String?
    let replyDraftVersion: Int?
    let sendKey: String
    let errors: [String: String]
    /// The 911 line, for the patient side only.
    let urgentNotice: String?
    /// The latest message number shown, when the page shows the latest messages: the live-updates script appends
    /// newer ones as they come (see docs/live-updates.md). Nil on an earlier page.
    var liveSeq: String? = nil
}

struct EditPage: Encodable {
    let layout: LayoutModel
    let id: String
    let version: Int
    let title: String
    let subject: String
    let canChangeSubject: Bool
    let canChangeRecipient: Bool
    let recipients: [OptionModel]
    let showConfidentiality: Bool
    let confidential: Bool
    let confidentialLocked: Bool
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]
}

enum PageFormat {
    /// "Nov 25, 2026, 9:00 AM" in the organisation's time zone. Built from calendar fields: a `DateFormatter` per call
    /// cost more than the rest of a page.
    static func dateTime(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let hour = parts.hour!, minute = parts.minute!
        let clock = "\((hour + 11) % 12 + 1):\(minute < 10 ? "0" : "")\(minute) \(hour < 12 ? "AM" : "PM")"
        return "\(months[parts.month! - 1]) \(parts.day!), \(parts.year!), \(clock)"
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// "provider:UUID" or "pool:UUID", the value a recipient option posts.
    static func value(_ recipient: RecipientResponse) -> String {
        "\(recipient.kind.rawValue):\(recipient.id.uuidString)"
    }

    static func recipient(from value: String?) -> RecipientInput? {
        guard let value, let colon = value.firstIndex(of: ":"),
            let kind = RecipientResponse.Kind(rawValue: String(value[..<colon])),
            let id = UUID(uuidString: String(value[value.index(after: colon)...]))
        else { return nil }
        return RecipientInput(kind: kind, id: id)
    }
}
