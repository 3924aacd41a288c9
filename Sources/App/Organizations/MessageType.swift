import Fluent
import Foundation

/// A kind of message a patient can start ("General Message", "Billing Question"), with who it can go to.
final class MessageType: Model, @unchecked Sendable {
    static let schema = "message_types"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Field(key: "name") var name: String
    @Field(key: "description") var description: String
    /// Order in the Message list.
    @Field(key: "position") var position: Int
    /// Whether the patient's care-team providers (active care relationship) are offered as recipients.
    @Field(key: "offers_care_team") var offersCareTeam: Bool
    @Field(key: "allows_confidentiality") var allowsConfidentiality: Bool
    @Field(key: "allows_attachments") var allowsAttachments: Bool

    /// The pools this type offers as recipients, besides care-team providers.
    @Siblings(through: MessageTypePool.self, from: \.$messageType, to: \.$pool) var pools: [Pool]

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $organization, $name, $description, $position, $offersCareTeam, $allowsConfidentiality,
            $allowsAttachments, $pools,
        ]
    }

    init() {}

    init(
        organizationID: Organization.IDValue, name: String, description: String, position: Int, offersCareTeam: Bool,
        allowsConfidentiality: Bool = true, allowsAttachments: Bool = true
    ) {
        self.$organization.id = organizationID
        self.name = name
        self.description = description
        self.position = position
        self.offersCareTeam = offersCareTeam
        self.allowsConfidentiality = allowsConfidentiality
        self.allowsAttachments = allowsAttachments
    }
}

final class MessageTypePool: Model, @unchecked Sendable {
    static let schema = "message_type_pools"

    @ID(key: .id) var id: UUID?
    @Parent(key: "message_type_id") var messageType: MessageType
    @Parent(key: "pool_id") var pool: Pool

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] { [$id, $messageType, $pool] }

    init() {}
}
