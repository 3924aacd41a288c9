import Domain
import Foundation

/// Archiving: hides a conversation from the actor's Inbox, for them only, until something new comes from the other
/// side.
struct Filing {
    let store: MessagingStore

    func archive(_ id: UUID, _ archived: Bool) async throws {
        let row = try await store.conversation(id, withState: false)
        guard ConversationRules.canArchive(store.context.actor, row.facts) else { throw MessagingError.notFound }
        try await store.write { store in try await store.setArchived(id, archived) }
        store.context.announce(.filed, in: id, forUser: store.context.userID)
    }
}
