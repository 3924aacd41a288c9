import Domain
import Fluent
import Foundation
import SQLKit

/// The recipients a patient may message with a message type, by the rule in `RecipientEligibility`, with their names.
struct RecipientDirectory {
    let store: MessagingStore

    var context: MessagingContext { store.context }

    /// One of the organisation's message types; anything else is an unknown type.
    func messageType(_ id: UUID?) throws -> MessageTypeSettings {
        guard let id, let type = context.messageTypes.first(where: { $0.id == id }) else {
            throw MessagingError.unknownMessageType
        }
        return type
    }

    /// A type a new conversation may be started with from `side`: a retired type, or one that side may not start, is
    /// an unknown type, as if it were not there.
    func startableType(_ id: UUID?, as side: ConversationSide) throws -> MessageTypeSettings {
        let type = try messageType(id)
        guard type.rule.mayStart(as: side) else { throw MessagingError.unknownMessageType }
        return type
    }

    /// The side starting a conversation about `patient`: the patient themselves, or a proxy for them.
    func patientSide(for patient: UUID) -> ConversationSide {
        patient == context.userID && context.actor.roles.contains(.patient) ? .patient : .proxy
    }

    func eligible(for patient: UUID, type: MessageTypeRule) async throws -> Set<Recipient> {
        RecipientEligibility.recipients(
            for: type, relationships: try await relationships(of: patient), on: context.today)
    }

    /// Providers with a care relationship with the patient in force today.
    func providers(for patient: UUID) async throws -> Set<UserID> {
        Set(
            try await relationships(of: patient).filter { $0.period.isWellFormed && $0.period.contains(context.today) }
                .map(\.providerID))
    }

    /// Why the actor may not reply here, if they may not: the patient side cannot write to a provider whose care
    /// relationship with the patient has ended, since it would reach someone who no longer looks after them
    /// (docs/care-team.md).
    func replyRefusal(in row: VisibleConversation) async throws -> MessagingError? {
        guard row.side.isPatientSide, case .provider(let provider) = row.conversation.recipient,
            !(try await providers(for: row.patientID)).contains(provider)
        else { return nil }
        return Self.relationshipEnded
    }

    static let relationshipEnded = MessagingError(
        .unprocessableEntity, "care_relationship_ended",
        "You can no longer reply here because your care relationship with this provider has ended. "
            + "Your draft is kept. Please call the provider's office.", field: "body")

    private func relationships(of patient: UUID) async throws -> [CareRelationshipFact] {
        try await CareRelationship.all(ofPatient: patient, on: store.db).compactMap { relationship in
            guard let from = CalendarDate(relationship.activeFrom) else { return nil }
            return CareRelationshipFact(
                providerID: UserID(relationship.$provider.id),
                period: ActivePeriod(from: from, until: relationship.activeUntil.flatMap(CalendarDate.init)))
        }
    }

    /// Eligible recipients whose name contains `search` (any case), providers first, each group by name.
    func search(for patient: UUID, type: MessageTypeRule, matching search: String?) async throws -> [RecipientResponse]
    {
        let needle = search?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let all = try await describe(eligible(for: patient, type: type))
        return all.filter { needle.isEmpty || $0.name.lowercased().contains(needle) }
    }

    /// Names and details for recipients, in display order.
    func describe(_ recipients: Set<Recipient>) async throws -> [RecipientResponse] {
        var providerIDs: [UUID] = []
        var poolIDs: [UUID] = []
        for recipient in recipients {
            switch recipient {
            case .provider(let id): providerIDs.append(id.uuid)
            case .pool(let id): poolIDs.append(id.uuid)
            }
        }
        let providers = try await store.users(Set(providerIDs)).values
        let pools = try await store.pools(Set(poolIDs)).values
        return providers.map {
            RecipientResponse(kind: .provider, id: $0.id!, name: $0.personName.displayName, detail: $0.specialty)
        }.sorted { $0.name < $1.name }
            + pools.map { RecipientResponse(kind: .pool, id: $0.id!, name: $0.name, detail: "Care team pool") }
            .sorted { $0.name < $1.name }
    }

    func describe(_ recipient: Recipient) async throws -> RecipientResponse {
        guard let response = try await describe([recipient]).first else { throw MessagingError.notFound }
        return response
    }
}

/// A recipient as clients send it: `{"kind": "provider", "id": "…"}`.
struct RecipientInput: Codable, Equatable, Sendable {
    let kind: RecipientResponse.Kind
    let id: UUID

    var recipient: Recipient {
        switch kind {
        case .provider: .provider(UserID(id))
        case .pool: .pool(PoolID(id))
        }
    }
}
