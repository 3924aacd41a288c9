import Domain
import Foundation

/// The care team's side of messaging: the In Basket, and claiming, assigning, Done and reopen. Each change is a
/// conditional write: of two people acting at once on what they both saw, the second gets 409.
struct CareTeamWork {
    let store: MessagingStore

    var context: MessagingContext { store.context }
    var presenter: ConversationPresenter { ConversationPresenter(store: store) }

    struct FilterCount: Codable, Sendable, Equatable {
        let filter: String
        let label: String
        let count: Int
    }

    struct InBasketResponse: Codable, Sendable {
        let filter: String
        /// Overdue first, then newest, across the whole queue.
        let items: [ConversationSummaryResponse]
        /// Pass as `cursor` for the next page; absent on the last page.
        let nextCursor: String?
        let counts: [FilterCount]
    }

    func inBasket(_ filter: InBasketFilter, cursor: PageCursor?, limit: Int) async throws -> InBasketResponse {
        guard context.actor.roles.contains(where: \.isCareTeam) else { throw MessagingError.notFound }
        if case .pool(let id) = filter, !context.actor.pools.contains(PoolID(id)) { throw MessagingError.notFound }
        let page = try await store.inBasket(filter, today: context.today, after: cursor, limit: limit)
        let items = try await presenter.summaries(page.items)
        let next =
            page.hasMore ? items.last.map { PageCursor(time: $0.lastMessageAt, id: $0.id, overdue: $0.overdue) } : nil

        var filters: [(InBasketFilter, String)] = [
            (.open, "Open"), (.unread, "Unread"), (.assignedToMe, "Assigned to me"),
        ]
        filters += try await store.myPools().map { (.pool($0.id!), $0.name) }
        filters += [(.overdue, "Overdue"), (.done, "Done")]
        let counts = try await store.inBasketCounts(filters.map(\.0), today: context.today)
        return InBasketResponse(
            filter: filter.text, items: items, nextCursor: next?.text,
            counts: zip(filters, counts).map { FilterCount(filter: $0.0.text, label: $0.1, count: $1) })
    }

    // MARK: Working a conversation

    func claim(_ id: UUID) async throws -> ConversationResponse {
        try await change(id, .claim, action: "conversation.claim", refusal: .alreadyAssigned)
    }

    /// Gives the conversation to `assignee`, if it is still held by `expected` (when given) or else by no one, by the
    /// actor or by `assignee` already.
    func assign(_ id: UUID, to assignee: UUID?, expected: UUID? = nil) async throws -> ConversationResponse {
        let row = try await workable(id)
        guard let assignee, try await assignable(for: row).contains(assignee) else { throw Self.notAssignable }
        return try await change(
            id, .assign(assignee, expected: expected), action: "conversation.assign", refusal: .alreadyAssigned)
    }

    func markDone(_ id: UUID) async throws -> ConversationResponse {
        try await change(id, .done, action: "conversation.done", refusal: .alreadyDone)
    }

    func reopen(_ id: UUID) async throws -> ConversationResponse {
        try await change(id, .reopen, action: "conversation.reopen", refusal: .alreadyOpen)
    }

    /// Who a conversation may be assigned to: its pool's members and the patient's providers, by name.
    func assignees(for id: UUID) async throws -> [PersonResponse] {
        let row = try await workable(id)
        let names = try await presenter.names(try await assignable(for: row))
        return names.map { PersonResponse(id: $0.key, name: $0.value) }.sorted { $0.name < $1.name }
    }

    static let notAssignable = MessagingError(
        .unprocessableEntity, "assignee_not_eligible",
        "A conversation can be assigned to a member of its pool or to one of the patient's providers.",
        field: "assigneeId")

    /// The members of the conversation's pool on the care team, and the patient's providers, as the rule decides.
    private func assignable(for row: VisibleConversation) async throws -> Set<UUID> {
        let providers = try await RecipientDirectory(store: store).providers(for: row.patientID)
        var members: Set<UUID> = []
        if let pool = row.conversation.$recipientPool.id { members = try await store.poolMembers(pool) }
        let candidates = try await store.usersWithRoles(members.union(providers.map(\.uuid)))
        let poolMembers = Set(members.map(UserID.init))
        return Set(
            candidates.filter { (user: User) in
                ConversationRules.canBeAssigned(
                    to: UserID(user.id!), roles: Set(user.roleGrants.map(\.role)), poolMembers: poolMembers,
                    providersForPatient: providers)
            }.map { $0.id! })
    }

    private func workable(_ id: UUID) async throws -> VisibleConversation {
        let row = try await store.conversation(id, withState: false)
        guard ConversationRules.canWork(context.actor, row.facts) else { throw MessagingError.forbidden }
        return row
    }

    private func change(_ id: UUID, _ change: WorkChange, action: String, refusal: MessagingError) async throws
        -> ConversationResponse
    {
        let patient = try await workable(id).patientID
        try await store.write { store in
            guard try await store.change(id, change) else { throw refusal }
            try await store.audit(action, "conversation", id, actingFor: patient)
        }
        context.announce(.work, in: id)
        return try await presenter.current(id)
    }
}
