import Domain
import Fluent
import Foundation

/// Reading messages: opening a conversation (which marks it read and is audited), the folders, the unread counts, and
/// what someone writing a message chooses from.
struct ReadConversation {
    let store: MessagingStore

    var context: MessagingContext { store.context }
    var presenter: ConversationPresenter { ConversationPresenter(store: store) }
    var directory: RecipientDirectory { RecipientDirectory(store: store) }

    /// A conversation as opened, with the actor's side and state of it, for pages to build on.
    struct Opened {
        let row: VisibleConversation
        let response: ConversationResponse
    }

    /// Opens a conversation at its latest messages, or at those before `before` when paging back. Opening the latest
    /// marks it read up to the last message shown, and is audited as a read of message content.
    func open(_ id: UUID, before: Int? = nil, markRead: Bool = true) async throws -> Opened {
        var row = try await store.conversation(id)
        var last = row.conversation.lastMessageSeq
        if markRead && before == nil {
            let byCareTeam = row.side == .careTeam
            let patient = row.patientID
            last = try await store.write { store in
                let seq = try await store.markRead(id, byCareTeam: byCareTeam)
                try await store.audit("conversation.read", "conversation", id, actingFor: patient)
                return seq
            }
            context.announce(.read, in: id, forUser: context.userID)
            row.markRead(upTo: last, at: context.now)
        }
        return Opened(row: row, response: try await presenter.detail(row, upTo: last, before: before))
    }

    /// Why the actor cannot reply in an opened conversation, if they cannot: shown in place of the reply box.
    func replyRefusal(in row: VisibleConversation) async throws -> MessagingError? {
        try await directory.replyRefusal(in: row)
    }

    /// A conversation after a change, as the one who made it sees it, without marking it read again.
    func current(_ id: UUID) async throws -> ConversationResponse {
        try await presenter.current(id)
    }

    /// Marks read without opening: the API's `POST /conversations/{id}/read`.
    func markRead(_ id: UUID) async throws {
        let row = try await store.conversation(id, withState: false)
        let byCareTeam = row.side == .careTeam
        _ = try await store.write { store in try await store.markRead(id, byCareTeam: byCareTeam) }
        context.announce(.read, in: id, forUser: context.userID)
    }

    /// Marks a conversation unread again, so it is counted and shown as new until opened: for a message to come back
    /// to later.
    func markUnread(_ id: UUID) async throws {
        _ = try await store.conversation(id, withState: false)
        try await store.write { store in try await store.markUnread(id) }
        context.announce(.read, in: id, forUser: context.userID)
    }

    func list(_ folder: Folder, patient: UUID?, cursor: PageCursor?, limit: Int) async throws
        -> ConversationPageResponse
    {
        try await response(try await store.folder(folder, patient: patient, after: cursor, limit: limit))
    }

    /// The conversations that match, newest first, a page at a time. Not audited, as a folder is not: it shows what a
    /// folder would, and the terms are kept nowhere.
    func search(_ query: SearchQuery, cursor: PageCursor?, limit: Int) async throws -> ConversationPageResponse {
        try await response(try await store.search(query, after: cursor, limit: limit))
    }

    private func response(_ page: Page<VisibleConversation>) async throws -> ConversationPageResponse {
        let next =
            page.hasMore ? page.items.last.map { PageCursor(time: $0.conversation.lastMessageAt, id: $0.id) } : nil
        return ConversationPageResponse(items: try await presenter.summaries(page.items), nextCursor: next?.text)
    }

    /// Unread conversations in the Inbox and the archive, and drafts. With `patient`, only that patient's: what a
    /// proxy viewing one person's messages sees.
    func unreadCounts(patient: UUID? = nil) async throws -> UnreadCountsResponse {
        let unread = try await store.unreadCounts(patient: patient)
        return UnreadCountsResponse(
            inbox: unread.inbox, archived: unread.archived, drafts: try await store.draftCount(patient: patient))
    }

    /// The number on the Messages link: unread in the Inbox being viewed.
    func unreadInbox(patient: UUID? = nil) async throws -> Int {
        try await store.unreadCounts(patient: patient).inbox
    }

    // MARK: Choosing what to write

    /// Every type of the organisation, retired ones included: what existing conversations are of.
    func messageTypes() -> [MessageTypeResponse] {
        context.messageTypes.map(MessageTypeResponse.init)
    }

    /// The types a new conversation may be started with from one of `sides`: not retired, and started by that side.
    func startableTypes(as sides: Set<ConversationSide>) -> [MessageTypeResponse] {
        context.messageTypes.filter { type in sides.contains { type.rule.mayStart(as: $0) } }
            .map(MessageTypeResponse.init)
    }

    /// The sides the actor may start conversations from: their own (patient), for someone else (proxy), the care team.
    var startingSides: Set<ConversationSide> {
        var sides: Set<ConversationSide> = []
        if context.actor.roles.contains(.patient) { sides.insert(.patient) }
        if !context.actor.proxyFor.isEmpty { sides.insert(.proxy) }
        if context.actor.roles.contains(where: \.isCareTeam) { sides.insert(.careTeam) }
        return sides
    }

    func recipients(patient: UUID?, type: UUID?, matching search: String?) async throws -> [RecipientResponse] {
        let patient = patient ?? context.userID
        guard ConversationRules.canStart(context.actor, for: UserID(patient)) else { throw MessagingError.notFound }
        let rule = try directory.startableType(type, as: directory.patientSide(for: patient)).rule
        return try await directory.search(for: patient, type: rule, matching: search)
    }

    /// Whose messages someone acting for several patients is looking at: `chosen` if they may, else themselves, else the
    /// first by name. Nil for someone with only their own messages (or none): they see everything they may.
    func viewedPatient(chosen: UUID?) async throws -> UUID? {
        let patients = context.actor.patientsActedFor
        // Nil only for a patient who has just their own messages; a proxy for one patient views that patient.
        guard patients.count > 1 || !patients.contains(UserID(context.userID)) else { return nil }
        if let chosen, patients.contains(UserID(chosen)) { return chosen }
        if context.actor.roles.contains(.patient) { return context.userID }
        return try await actingFor().first?.patient.id
    }

    /// The patients whose messages this user works with: themselves, and those they are a proxy for today.
    func actingFor() async throws -> [ActingForResponse] {
        let patients = context.actor.patientsActedFor.map(\.uuid)
        guard !patients.isEmpty else { return [] }
        let users = try await User.query(on: store.db).filter(\.$id ~~ patients).all()
        let grants = try await ProxyGrant.query(on: store.db).filter(\.$proxy.$id == context.userID).all()
        return users.map { user in
            let relationship =
                user.id == context.userID
                ? "self" : grants.first { $0.$patient.id == user.id }?.relationship ?? "proxy"
            return ActingForResponse(
                patient: PersonResponse(id: user.id!, name: user.personName.displayName), relationship: relationship)
        }.sorted {
            ($0.relationship != "self" ? 1 : 0, $0.patient.name) < ($1.relationship != "self" ? 1 : 0, $1.patient.name)
        }
    }
}
