import Foundation

extension MessagingContext {
    /// Tells open pages that a conversation changed. Call only after the write's transaction has committed.
    func announce(_ kind: LiveEvent.Kind, in conversation: UUID, forUser user: UUID? = nil) {
        liveUpdates?.publish(
            LiveEvent(kind: kind, organizationID: organization.id, conversationID: conversation, userID: user))
    }
}
