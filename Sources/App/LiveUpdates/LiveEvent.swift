import Foundation

/// Something changed that open pages may show. Ids only, never text, names, subjects or counts: it travels between
/// servers in a PostgreSQL NOTIFY, which any session on the database could LISTEN to, and it may be logged. What a
/// stream then shows is worked out per user, through the same access rules as the pages.
struct LiveEvent: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        /// A message was written in the conversation.
        case message
        /// One user read it: their own unread count changes.
        case read
        /// Claimed, assigned, Done or reopened: the In Basket changes.
        case work
        /// Its details changed (recipient, confidentiality): who sees it may have changed.
        case details
        /// One user archived it or brought it back.
        case filed
        /// One user's session ended (signed out): their streams check their sessions now.
        case session
    }

    let kind: Kind
    let organizationID: UUID
    /// The conversation that changed; nil for a session event.
    let conversationID: UUID?
    /// Whose own state changed (a read, an archive, a sign-out); nil when it concerns everyone who sees the
    /// conversation.
    let userID: UUID?

    static func message(in conversation: UUID, organization: UUID) -> LiveEvent {
        LiveEvent(kind: .message, organizationID: organization, conversationID: conversation, userID: nil)
    }

    /// Whether a care-team member looking at the In Basket should see its table again.
    var changesInBasket: Bool { kind == .message || kind == .work || kind == .details }

    /// `kind organization conversation user`, "-" for none: about 120 characters, far below NOTIFY's 8,000.
    var payload: String {
        [kind.rawValue, organizationID.uuidString, conversationID?.uuidString ?? "-", userID?.uuidString ?? "-"]
            .joined(separator: " ")
    }

    init(kind: Kind, organizationID: UUID, conversationID: UUID?, userID: UUID?) {
        self.kind = kind
        self.organizationID = organizationID
        self.conversationID = conversationID
        self.userID = userID
    }

    /// Reads what `payload` wrote; nil for anything else.
    init?(payload: Substring) {
        let parts = payload.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 4, let kind = Kind(rawValue: String(parts[0])),
            let organization = UUID(uuidString: String(parts[1]))
        else { return nil }
        func optional(_ part: Substring) -> UUID?? {
            part == "-" ? .some(nil) : UUID(uuidString: String(part)).map { .some($0) }
        }
        guard let conversation = optional(parts[2]), let user = optional(parts[3]) else { return nil }
        self.init(kind: kind, organizationID: organization, conversationID: conversation, userID: user)
    }
}
