import Domain
import Foundation
import Vapor

/// A person as messaging shows them.
struct PersonResponse: Content, Equatable {
    let id: UUID
    let name: String
}

/// A provider or pool that can receive messages.
struct RecipientResponse: Content, Equatable {
    enum Kind: String, Codable {
        case provider, pool
    }

    let kind: Kind
    let id: UUID
    let name: String
    /// A provider's specialty, or "Care team pool".
    let detail: String?
}

struct MessageTypeResponse: Content {
    let id: UUID
    let name: String
    let description: String
    let allowsConfidentiality: Bool
    let allowsAttachments: Bool
}

extension MessageTypeResponse {
    init(_ type: MessageTypeSettings) {
        self.init(
            id: type.id, name: type.name, description: type.description,
            allowsConfidentiality: type.rule.allowsConfidentiality, allowsAttachments: type.rule.allowsAttachments)
    }
}

struct ConversationSummaryResponse: Content {
    let id: UUID
    let patient: PersonResponse
    let messageType: String
    let subject: String?
    /// The subject, or the message type when there is no subject.
    let title: String
    let recipient: RecipientResponse
    /// Which side wrote the first message: `patient`, `proxy` or `care_team` (then the recipient is who it is from).
    let startedBy: String
    let confidential: Bool
    let status: String
    let lastMessageAt: Date
    let expectedReplyBy: String
    let unread: Bool
    let archived: Bool
    /// The care-team member who has taken it on.
    let assignee: PersonResponse?
    let doneAt: Date?
    /// When a care-team member last opened it after the patient side last wrote: "Read by care team".
    let readByCareTeamAt: Date?
    /// Open, the patient side is waiting, and the expected reply date has passed.
    let overdue: Bool
    /// For the care team only: the patient's date of birth.
    let patientBirthDate: String?
    /// For the care team only: the organisation's number for the patient's record (MRN), when it has one.
    let patientRecordNumber: String?
    /// The latest message, for the list's one-line preview and "who wrote last".
    let lastMessage: LastMessageResponse?
    /// A message of the conversation carries an attachment: the list's paperclip.
    let hasAttachments: Bool
}

/// The latest message of a conversation, as a list row shows it.
struct LastMessageResponse: Content {
    /// "You", the writer's name, or "Jordan Rivera for Alex" for a proxy writing for the patient.
    let writer: String
    /// `patient`, `proxy` or `care_team`.
    let side: String
    /// Its plain text on one line, at most 100 characters, cut at a word boundary ("…" when cut).
    let preview: String
}

struct MessageResponse: Content {
    let id: UUID
    let author: PersonResponse
    /// The patient a proxy wrote for.
    let onBehalfOf: PersonResponse?
    /// "Jordan Rivera on behalf of Alex Rivera".
    let byline: String
    let side: String
    /// Its place in the conversation: 1, 2, 3… in the order messages were committed.
    let seq: Int
    let createdAt: Date
    let body: RichTextDocument
    let bodyText: String
    let bodyHTML: String
    let attachments: [AttachmentResponse]
}

struct ConversationEventResponse: Content {
    let field: String
    let from: String?
    let to: String?
    let by: PersonResponse
    let at: Date
    /// "Subject changed from … to … by … ".
    let summary: String
}

struct ConversationResponse: Content {
    let conversation: ConversationSummaryResponse
    let version: Int
    let messages: [MessageResponse]
    let events: [ConversationEventResponse]
    /// There are earlier messages: pass this as `before` to get them. Absent when the first message is included.
    let earlierBefore: Int?
    /// "You can expect a reply by Wednesday, November 25, 2026.", for the patient side while it waits for a reply.
    let expectedReplyNotice: String?
}

struct ConversationPageResponse: Content {
    let items: [ConversationSummaryResponse]
    /// Pass as `cursor` for the next page; absent on the last page.
    let nextCursor: String?
}

struct UnreadCountsResponse: Content {
    let inbox: Int
    let archived: Int
    let drafts: Int
}

struct DraftPageResponse: Content {
    let items: [DraftResponse]
    /// Pass as `cursor` for the next page; absent on the last page.
    let nextCursor: String?
}

struct DraftResponse: Content {
    let id: UUID
    let version: Int
    let patientId: UUID
    let conversationId: UUID?
    /// For a reply draft: the conversation it answers, by subject or type.
    let conversationTitle: String?
    let messageTypeId: UUID?
    let recipient: RecipientResponse?
    let subject: String?
    let confidential: Bool
    let body: RichTextDocument?
    let attachments: [AttachmentResponse]
    let updatedAt: Date
}

struct ActingForResponse: Content {
    let patient: PersonResponse
    /// "self", or the proxy relationship such as "parent".
    let relationship: String
}
