import Foundation
import Vapor

/// One open `/events` response: who it is for, what the page shows, and what was last sent. Nothing of the request
/// is kept (no `Request`, no headers): an idle stream holds this object and the writer Vapor gave it.
///
/// The fields below `// Guarded` are read and written only under `LiveUpdates`' lock.
final class LiveStream: @unchecked Sendable {
    let id: Int
    let userID: UUID
    let organizationID: UUID
    let sessionID: UUID
    /// The SHA-256 of the session cookie, to look the session up again on every event without touching it.
    let tokenHash: String
    /// The patient a proxy is viewing (the `carebox_viewing` cookie when the stream opened).
    let viewing: UUID?
    /// The conversation the page shows, if it shows one at its latest messages.
    let conversationID: UUID?
    /// Whether the page is the In Basket.
    let watchesInBasket: Bool

    // Guarded
    var writer: (any BodyStreamWriter)?
    var audience: Audience
    /// The unread count last sent; -1 until the first is.
    var lastUnread = -1
    /// The latest message number of `conversationID` the page has (as it said, then as sent).
    var lastSeq: Int
    var refreshing = false
    /// An event arrived during a refresh: one more refresh follows it, for all that arrived meanwhile.
    var dirty = false
    /// Conversations changed since the last refresh that may change the In Basket.
    var touched: [UUID] = []
    var closed = false

    init(
        id: Int, user: SignedInUser, sessionID: UUID, tokenHash: String, viewing: UUID?, conversationID: UUID?,
        lastSeq: Int, watchesInBasket: Bool, audience: Audience
    ) {
        self.id = id
        self.userID = user.id
        self.organizationID = user.organizationID
        self.sessionID = sessionID
        self.tokenHash = tokenHash
        self.viewing = viewing
        self.conversationID = conversationID
        self.lastSeq = lastSeq
        self.watchesInBasket = watchesInBasket
        self.audience = audience
    }

    /// Whose conversations a stream may hear about, as ids: a first, cheap sieve before the real check, which runs the
    /// same SQL scope as the pages. It may let through more than the user sees, never less than they did when it was
    /// last refreshed.
    struct Audience: Sendable {
        var patients: [UUID]
        var pools: [UUID]
        var careTeam: Bool

        init(_ context: MessagingContext) {
            patients = context.actor.patientsActedFor.map(\.uuid)
            pools = context.actor.pools.map(\.uuid)
            careTeam = context.actor.roles.contains(where: \.isCareTeam)
        }

        func includes(_ conversation: LiveUpdatesQueries.ConversationAudience, user: UUID) -> Bool {
            if patients.contains(conversation.patientId) { return true }
            guard careTeam else { return false }
            return conversation.recipientProviderId == user || conversation.assigneeId == user
                || conversation.recipientPoolId.map(pools.contains) == true
        }
    }
}
