import Domain
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
    /// Who may start one, comma-separated: `patient`, `proxy`, `care_team`.
    @Field(key: "started_by") var startedBy: String
    /// A retired type keeps its conversations but is offered no more.
    @OptionalField(key: "retired_at") var retiredAt: Date?
    /// Bumped by every change, for `If-Match`.
    @Field(key: "version") var version: Int

    /// The pools this type offers as recipients, besides care-team providers.
    @Siblings(through: MessageTypePool.self, from: \.$messageType, to: \.$pool) var pools: [Pool]

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $organization, $name, $description, $position, $offersCareTeam, $allowsConfidentiality,
            $allowsAttachments, $startedBy, $retiredAt, $version, $pools,
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
        self.startedBy = Self.everyoneStarts
        self.version = 1
    }

    /// Patients, proxies and the care team may all start a conversation of this type.
    static let everyoneStarts = "patient,proxy,care_team"

    /// `startedBy` as sides; unknown words are ignored.
    var starters: Set<ConversationSide> {
        Set(startedBy.split(separator: ",").compactMap { ConversationSide(rawValue: String($0)) })
    }

    /// The stored form of `starters`, in a fixed order.
    static func startedBy(_ sides: Set<ConversationSide>) -> String {
        [ConversationSide.patient, .proxy, .careTeam].filter(sides.contains).map(\.rawValue).joined(separator: ",")
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
