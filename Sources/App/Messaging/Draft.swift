import Domain
import Fluent
import Foundation

/// A message not yet sent: a new conversation (type, recipient, subject, confidentiality, body) or a reply in an
/// existing one. Saved with a version; a save against an older version is refused, never merged.
final class Draft: Model, @unchecked Sendable {
    static let schema = "drafts"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Parent(key: "owner_id") var owner: User
    /// The patient the draft is about: the owner, or a patient the owner is a proxy for.
    @Parent(key: "patient_id") var patient: User
    @OptionalParent(key: "conversation_id") var conversation: Conversation?
    @OptionalParent(key: "message_type_id") var messageType: MessageType?
    @OptionalParent(key: "recipient_provider_id") var recipientProvider: User?
    @OptionalParent(key: "recipient_pool_id") var recipientPool: Pool?
    @OptionalField(key: "subject") var subject: String?
    @Field(key: "confidential") var confidential: Bool
    /// The rich-text document as JSON, if any body was written.
    @OptionalField(key: "body") var body: String?
    @Field(key: "version") var version: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var recipient: Recipient? {
        if let pool = $recipientPool.id { return .pool(PoolID(pool)) }
        return $recipientProvider.id.map { .provider(UserID($0)) }
    }

    func setRecipient(_ recipient: Recipient?) {
        $recipientProvider.id = nil
        $recipientPool.id = nil
        switch recipient {
        case .provider(let id): $recipientProvider.id = id.uuid
        case .pool(let id): $recipientPool.id = id.uuid
        case nil: break
        }
    }
}
