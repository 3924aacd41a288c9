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

struct ConversationSummaryResponse: Content {
    let id: UUID
    let patient: PersonResponse
    let messageType: String
    let subject: String?
    /// The subject, or the message type when there is no subject.
    let title: String
    let recipient: RecipientResponse
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
    /// For the care team: the patient's date of birth.
    let patientBirthDate: String?
}

extension ConversationSummaryResponse {
    /// The facts the rules decide by, as the response states them.
    var facts: ConversationFacts {
        ConversationFacts(
            patientID: UserID(patient.id),
            recipient: recipient.kind == .pool ? .pool(PoolID(recipient.id)) : .provider(UserID(recipient.id)),
            confidential: confidential, assignee: assignee.map { UserID($0.id) })
    }
}

struct MessageResponse: Content {
    let id: UUID
    let author: PersonResponse
    /// The patient a proxy wrote for.
    let onBehalfOf: PersonResponse?
    /// "Jordan Rivera on behalf of Alex Rivera".
    let byline: String
    let side: String
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
    /// "You can expect a reply by Wednesday, November 25, 2026."
    let expectedReplyNotice: String
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

struct DraftResponse: Content {
    let id: UUID
    let version: Int
    let patientId: UUID
    let conversationId: UUID?
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
