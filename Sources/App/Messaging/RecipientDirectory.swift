import Domain
import Fluent
import Foundation
import SQLKit

/// The recipients a patient may message with a message type, by the rule in `RecipientEligibility`, with their names.
struct RecipientDirectory {
    let db: any Database
    let context: MessagingContext

    /// One of the organisation's message types; anything else is an unknown type.
    func messageType(_ id: UUID?) throws -> MessageTypeSettings {
        guard let id, let type = context.messageTypes.first(where: { $0.id == id }) else {
            throw MessagingError.unknownMessageType
        }
        return type
    }

    func eligible(for patient: UUID, type: MessageTypeRule) async throws -> Set<Recipient> {
        let relationships = try await CareRelationship.all(ofPatient: patient, on: db)
        let facts = relationships.compactMap { relationship -> CareRelationshipFact? in
            guard let from = CalendarDate(relationship.activeFrom) else { return nil }
            return CareRelationshipFact(
                providerID: UserID(relationship.$provider.id),
                period: ActivePeriod(from: from, until: relationship.activeUntil.flatMap(CalendarDate.init)))
        }
        return RecipientEligibility.recipients(for: type, relationships: facts, on: context.today)
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
        let providers =
            providerIDs.isEmpty
            ? [] : try await db.models(User.self, "SELECT * FROM users WHERE id IN (\(binds: providerIDs))")
        let pools =
            poolIDs.isEmpty ? [] : try await db.models(Pool.self, "SELECT * FROM pools WHERE id IN (\(binds: poolIDs))")
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
