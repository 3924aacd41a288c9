import Domain
import Fluent
import Foundation

/// A conversation about one patient, of one message type, addressed to one provider or pool.
final class Conversation: Model, @unchecked Sendable {
    static let schema = "conversations"

    enum Status: String, Codable {
        case open, closed
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Parent(key: "patient_id") var patient: User
    @Parent(key: "message_type_id") var messageType: MessageType
    @OptionalField(key: "subject") var subject: String?
    @OptionalParent(key: "recipient_provider_id") var recipientProvider: User?
    @OptionalParent(key: "recipient_pool_id") var recipientPool: Pool?
    @Field(key: "confidential") var confidential: Bool
    @Enum(key: "status") var status: Status
    @Parent(key: "started_by_id") var startedBy: User
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_message_at") var lastMessageAt: Date
    /// `YYYY-MM-DD` in the organisation's time zone.
    @Field(key: "expected_reply_by") var expectedReplyBy: String
    /// Bumped by every change of details, for `If-Match`.
    @Field(key: "version") var version: Int
    /// The care-team member who has taken it on.
    @OptionalParent(key: "assignee_id") var assignee: User?
    /// When the care team marked it Done; nil while open.
    @OptionalField(key: "done_at") var doneAt: Date?
    /// When a care-team member last opened it: the patient's "Read by care team".
    @OptionalField(key: "care_team_read_at") var careTeamReadAt: Date?
    @OptionalField(key: "last_patient_message_at") var lastPatientMessageAt: Date?
    @OptionalField(key: "last_care_team_message_at") var lastCareTeamMessageAt: Date?

    @Children(for: \.$conversation) var messages: [Message]

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $organization, $patient, $messageType, $subject, $recipientProvider, $recipientPool, $confidential,
            $status, $startedBy, $createdAt, $lastMessageAt, $expectedReplyBy, $version, $assignee, $doneAt,
            $careTeamReadAt, $lastPatientMessageAt, $lastCareTeamMessageAt, $messages,
        ]
    }

    init() {}

    var recipient: Recipient {
        if let pool = $recipientPool.id { return .pool(PoolID(pool)) }
        return .provider(UserID($recipientProvider.id!))
    }

    func setRecipient(_ recipient: Recipient) {
        switch recipient {
        case .provider(let id):
            $recipientProvider.id = id.uuid
            $recipientPool.id = nil
        case .pool(let id):
            $recipientProvider.id = nil
            $recipientPool.id = id.uuid
        }
    }

    var facts: ConversationFacts {
        ConversationFacts(
            patientID: UserID($patient.id), recipient: recipient, confidential: confidential,
            assignee: $assignee.id.map(UserID.init))
    }

    /// The patient side wrote last and the care team has not answered yet.
    var awaitingCareTeam: Bool {
        guard let patientSide = lastPatientMessageAt else { return false }
        return lastCareTeamMessageAt.map { $0 < patientSide } ?? true
    }
}

/// One message. A sent message never changes.
final class Message: Model, @unchecked Sendable {
    static let schema = "messages"

    enum Side: String, Codable {
        case patient, proxy
        case careTeam = "care_team"

        init(_ side: ConversationSide) {
            switch side {
            case .patient: self = .patient
            case .proxy: self = .proxy
            case .careTeam: self = .careTeam
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "conversation_id") var conversation: Conversation
    @Parent(key: "author_id") var author: User
    @Enum(key: "side") var side: Side
    /// The rich-text document as JSON.
    @Field(key: "body") var body: String
    /// The same body as plain text, for notifications, search and plain-text clients.
    @Field(key: "body_text") var bodyText: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "idempotency_key") var idempotencyKey: String?

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [$id, $conversation, $author, $side, $body, $bodyText, $createdAt, $idempotencyKey]
    }

    init() {}
}

/// A change of a conversation's details: "Subject changed from … to … by … at …".
final class ConversationEvent: Model, @unchecked Sendable {
    static let schema = "conversation_events"

    /// Which detail changed.
    /// In the order the Edit form shows them, which is also the order of the events of one edit.
    enum Detail: String, Codable, CaseIterable {
        case subject, recipient, confidential
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "conversation_id") var conversation: Conversation
    @Parent(key: "actor_id") var actor: User
    @Enum(key: "field") var field: Detail
    @OptionalField(key: "from_value") var fromValue: String?
    @OptionalField(key: "to_value") var toValue: String?
    @Field(key: "created_at") var createdAt: Date

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] { [$id, $conversation, $actor, $field, $fromValue, $toValue, $createdAt] }

    init() {}

    init(conversationID: UUID, actorID: UUID, field: Detail, from: String?, to: String?, at date: Date) {
        self.$conversation.id = conversationID
        self.$actor.id = actorID
        self.field = field
        self.fromValue = from
        self.toValue = to
        self.createdAt = date
    }
}

/// One user's view of one conversation: when they last read it, and whether they archived it.
final class ConversationState: Model, @unchecked Sendable {
    static let schema = "conversation_states"

    @ID(key: .id) var id: UUID?
    @Parent(key: "conversation_id") var conversation: Conversation
    @Parent(key: "user_id") var user: User
    @OptionalField(key: "last_read_at") var lastReadAt: Date?
    @OptionalField(key: "archived_at") var archivedAt: Date?

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] { [$id, $conversation, $user, $lastReadAt, $archivedAt] }

    init() {}
}
