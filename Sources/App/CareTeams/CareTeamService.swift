import Domain
import Fluent
import FluentSQL
import Foundation
import SQLKit

/// The care team's side of messaging: the In Basket, claiming and assigning, Done and reopen. Every method checks
/// `ConversationRules` for the acting user, as the patient side's services do.
struct CareTeamService {
    let db: any Database
    let writes: WriteSerializer
    let context: MessagingContext

    enum Filter: Equatable, Sendable {
        /// Everything open that is addressed or assigned to me or my pools.
        case open
        case unread
        case assignedToMe
        case pool(UUID)
        case overdue
        case done

        init?(_ text: String?) {
            switch text ?? "open" {
            case "open": self = .open
            case "unread": self = .unread
            case "assigned": self = .assignedToMe
            case "overdue": self = .overdue
            case "done": self = .done
            case let other where other.hasPrefix("pool:"):
                guard let id = UUID(uuidString: String(other.dropFirst(5))) else { return nil }
                self = .pool(id)
            default: return nil
            }
        }

        var text: String {
            switch self {
            case .open: "open"
            case .unread: "unread"
            case .assignedToMe: "assigned"
            case .pool(let id): "pool:\(id.uuidString)"
            case .overdue: "overdue"
            case .done: "done"
            }
        }
    }

    struct FilterCount: Codable, Sendable, Equatable {
        let filter: String
        let label: String
        let count: Int
    }

    struct InBasketResponse: Codable, Sendable {
        let filter: String
        /// Overdue first, then newest.
        let items: [ConversationSummaryResponse]
        let counts: [FilterCount]
    }

    /// Conversations for the care team: addressed to me, to my pools, or assigned to me; never the patient side's.
    private func careTeamScope() -> QueryBuilder<Conversation> {
        let actor = context.actor
        return Conversation.query(on: db)
            .filter(\.$organization.$id == context.organization.id)
            .group(.or) { or in
                or.filter(\.$assignee.$id == context.userID)
                if actor.roles.contains(.provider) { or.filter(\.$recipientProvider.$id == context.userID) }
                if !actor.pools.isEmpty { or.filter(\.$recipientPool.$id ~~ actor.pools.map(\.uuid)) }
            }
    }

    private func apply(_ filter: Filter, to query: QueryBuilder<Conversation>) -> QueryBuilder<Conversation> {
        switch filter {
        case .open:
            query.filter(\.$status == .open)
        case .done:
            query.filter(\.$status == .closed)
        case .assignedToMe:
            query.filter(\.$status == .open).filter(\.$assignee.$id == context.userID)
        case .pool(let id):
            query.filter(\.$status == .open).filter(\.$recipientPool.$id == id)
        case .overdue:
            query.filter(\.$status == .open).filter(\.$expectedReplyBy < context.today.description)
                .filter(.sql(embed: Self.awaitingCareTeamSQL))
        case .unread:
            query.join(
                ConversationState.self,
                on: \Conversation.$id == \ConversationState.$conversation.$id
                    && \ConversationState.$user.$id == context.userID, method: .left
            )
            .filter(\.$status == .open).filter(.sql(embed: MessagingQueries.unreadSQL))
        }
    }

    /// The patient side wrote last: what overdue means together with a passed expected reply date.
    static let awaitingCareTeamSQL: SQLQueryString = """
        conversations.last_patient_message_at IS NOT NULL AND (conversations.last_care_team_message_at IS NULL \
        OR conversations.last_care_team_message_at < conversations.last_patient_message_at)
        """

    func inBasket(_ filter: Filter) async throws -> InBasketResponse {
        guard context.actor.roles.contains(where: \.isCareTeam) else { throw MessagingError.notFound }
        if case .pool(let id) = filter, !context.actor.pools.contains(PoolID(id)) { throw MessagingError.notFound }
        let conversations = try await apply(filter, to: careTeamScope())
            .sort(\.$lastMessageAt, .descending).sort(\.$id, .descending).limit(200).all()
        let states = try await MessagingQueries.myStates(for: conversations.compactMap(\.id), context, on: db)
        var items = try await ConversationPresenter(db: db, context: context).summaries(conversations, states: states)
        items = items.filter(\.overdue) + items.filter { !$0.overdue }

        var filters: [(Filter, String)] = [(.open, "Open"), (.unread, "Unread"), (.assignedToMe, "Assigned to me")]
        let pools = try await Pool.query(on: db).filter(\.$id ~~ context.actor.pools.map(\.uuid)).sort(\.$name).all()
        filters += pools.map { (.pool($0.id!), $0.name) }
        filters += [(.overdue, "Overdue"), (.done, "Done")]
        var counts: [FilterCount] = []
        for (each, label) in filters {
            counts.append(
                FilterCount(filter: each.text, label: label, count: try await apply(each, to: careTeamScope()).count()))
        }
        return InBasketResponse(filter: filter.text, items: items, counts: counts)
    }

    // MARK: Working a conversation

    func claim(_ id: UUID) async throws -> ConversationResponse {
        let conversation = try await workable(id)
        if let current = conversation.$assignee.id, current != context.userID {
            throw MessagingError(
                .conflict, "already_assigned", "Someone else has already taken this conversation. Reload to see who.")
        }
        return try await update(id, action: "conversation.claim", patient: conversation.$patient.id) {
            $0.set(\.$assignee.$id, to: context.userID)
        }
    }

    func assign(_ id: UUID, to assignee: UUID?) async throws -> ConversationResponse {
        let conversation = try await workable(id)
        guard let assignee,
            let user = try await User.query(on: db).filter(\.$id == assignee)
                .filter(\.$organization.$id == context.organization.id).with(\.$roleGrants).first()
        else { throw Self.notAssignable }
        let poolMembers: Set<UserID>
        if let pool = conversation.$recipientPool.id {
            poolMembers = Set(
                try await PoolMember.query(on: db).filter(\.$pool.$id == pool).all(\.$user.$id).map(UserID.init))
        } else {
            poolMembers = []
        }
        let providers = try await Self.providers(for: conversation.$patient.id, on: context.today, db: db)
        guard
            ConversationRules.canBeAssigned(
                to: UserID(assignee), roles: Set(user.roleGrants.map(\.role)), poolMembers: poolMembers,
                providersForPatient: providers)
        else { throw Self.notAssignable }
        return try await update(id, action: "conversation.assign", patient: conversation.$patient.id) {
            $0.set(\.$assignee.$id, to: assignee)
        }
    }

    func markDone(_ id: UUID) async throws -> ConversationResponse {
        let conversation = try await workable(id)
        let now = context.now
        return try await update(id, action: "conversation.done", patient: conversation.$patient.id) {
            $0.set(\.$status, to: .closed).set(\.$doneAt, to: now)
        }
    }

    func reopen(_ id: UUID) async throws -> ConversationResponse {
        let conversation = try await workable(id)
        return try await update(id, action: "conversation.reopen", patient: conversation.$patient.id) {
            $0.set(\.$status, to: .open).set(\.$doneAt, to: nil)
        }
    }

    /// Who a conversation may be assigned to: its pool's members and the patient's providers, by name.
    func assignees(for id: UUID) async throws -> [PersonResponse] {
        let conversation = try await workable(id)
        var ids = Set(try await Self.providers(for: conversation.$patient.id, on: context.today, db: db).map(\.uuid))
        if let pool = conversation.$recipientPool.id {
            ids.formUnion(try await PoolMember.query(on: db).filter(\.$pool.$id == pool).all(\.$user.$id))
        }
        let names = try await ConversationPresenter(db: db, context: context).names(ids)
        return names.map { PersonResponse(id: $0.key, name: $0.value) }.sorted { $0.name < $1.name }
    }

    static let notAssignable = MessagingError(
        .unprocessableEntity, "assignee_not_eligible",
        "A conversation can be assigned to a member of its pool or to one of the patient's providers.",
        field: "assigneeId")

    /// Providers with a care relationship with the patient in force on `day`.
    static func providers(for patient: UUID, on day: CalendarDate, db: any Database) async throws -> Set<UserID> {
        let relationships = try await CareRelationship.all(ofPatient: patient, on: db)
        return Set(
            relationships.filter { relationship in
                guard let from = CalendarDate(relationship.activeFrom) else { return false }
                let period = ActivePeriod(from: from, until: relationship.activeUntil.flatMap(CalendarDate.init))
                return period.isWellFormed && period.contains(day)
            }.map { UserID($0.$provider.id) })
    }

    private func workable(_ id: UUID) async throws -> Conversation {
        let conversation = try await MessagingQueries.visibleConversation(id, context, on: db)
        guard ConversationRules.canWork(context.actor, conversation.facts) else { throw MessagingError.forbidden }
        return conversation
    }

    private func update(
        _ id: UUID, action: String, patient: UUID,
        _ change: @escaping @Sendable (QueryBuilder<Conversation>) -> QueryBuilder<Conversation>
    ) async throws -> ConversationResponse {
        let context = self.context
        try await writes.transaction(on: db) { db in
            try await change(Conversation.query(on: db).filter(\.$id == id)).update()
            try await context.audit(action, "conversation", id, actingFor: patient, on: db)
        }
        return try await MessagingService(db: db, writes: writes, context: context).show(id, markRead: false)
    }
}
