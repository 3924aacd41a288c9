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
    /// The number of the latest message, overall and from each side (0: none yet). Numbers are given at insert, in
    /// commit order, so unlike times they never go backwards.
    @Field(key: "last_message_seq") var lastMessageSeq: Int
    @Field(key: "last_patient_seq") var lastPatientSeq: Int
    @Field(key: "last_care_team_seq") var lastCareTeamSeq: Int
    /// The latest message a care-team member had in front of them when they opened it.
    @Field(key: "care_team_read_seq") var careTeamReadSeq: Int
    /// The side of whoever wrote the first message.
    @Enum(key: "started_side") var startedSide: ConversationSide

    @Children(for: \.$conversation) var messages: [Message]

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $organization, $patient, $messageType, $subject, $recipientProvider, $recipientPool, $confidential,
            $status, $startedBy, $createdAt, $lastMessageAt, $expectedReplyBy, $version, $assignee, $doneAt,
            $careTeamReadAt, $lastPatientMessageAt, $lastCareTeamMessageAt, $lastMessageSeq, $lastPatientSeq,
            $lastCareTeamSeq, $careTeamReadSeq, $startedSide, $messages,
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
            assignee: $assignee.id.map(UserID.init), startedBy: UserID($startedBy.id), startedSide: startedSide,
            careTeamHasWritten: lastCareTeamSeq > 0)
    }

    /// The patient side wrote last and the care team has not answered yet.
    var awaitingCareTeam: Bool { lastPatientSeq > lastCareTeamSeq }
}

/// One message. A sent message never changes.
final class Message: Model, @unchecked Sendable {
    static let schema = "messages"

    typealias Side = ConversationSide

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
    /// Its place in the conversation: 1, 2, 3… in the order the messages were committed.
    @Field(key: "seq") var seq: Int
    /// SHA-256 of the request that sent it with an idempotency key: a retry must be the same request.
    @OptionalField(key: "request_hash") var requestHash: String?

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [$id, $conversation, $author, $side, $body, $bodyText, $createdAt, $idempotencyKey, $seq, $requestHash]
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
    /// The latest message they have had in front of them.
    @Field(key: "last_read_seq") var lastReadSeq: Int
    /// The latest message when they archived it: a later one from the other side brings it back to the Inbox.
    @OptionalField(key: "archived_seq") var archivedSeq: Int?

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [$id, $conversation, $user, $lastReadAt, $archivedAt, $lastReadSeq, $archivedSeq]
    }

    init() {}
}
