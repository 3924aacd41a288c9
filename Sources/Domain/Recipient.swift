/// Who a conversation is addressed to: one provider, or a pool (a shared mailbox such as Nurse Triage).
public enum Recipient: Hashable, Sendable {
    case provider(UserID)
    case pool(PoolID)
}

/// What a message type allows, as far as the rules need to know.
public struct MessageTypeRule: Hashable, Sendable {
    public let id: MessageTypeID
    /// Whether the patient's providers with an active care relationship are offered.
    public let offersCareTeam: Bool
    /// Pools offered whatever the patient's relationships.
    public let pools: Set<PoolID>
    public let allowsConfidentiality: Bool
    public let allowsAttachments: Bool
    /// The sides that may start a conversation of this type.
    public let startedBy: Set<ConversationSide>
    /// A retired type keeps its conversations but starts no new one.
    public let retired: Bool

    public init(
        id: MessageTypeID, offersCareTeam: Bool, pools: Set<PoolID>, allowsConfidentiality: Bool,
        allowsAttachments: Bool, startedBy: Set<ConversationSide> = [.patient, .proxy, .careTeam],
        retired: Bool = false
    ) {
        self.id = id
        self.offersCareTeam = offersCareTeam
        self.pools = pools
        self.allowsConfidentiality = allowsConfidentiality
        self.allowsAttachments = allowsAttachments
        self.startedBy = startedBy
        self.retired = retired
    }

    /// Whether someone on `side` may start a new conversation of this type: offered in lists and accepted on start.
    /// Existing conversations of the type are untouched either way.
    public func mayStart(as side: ConversationSide) -> Bool {
        !retired && startedBy.contains(side)
    }
}

/// A patient's relationship with one provider, with the days it is in force.
public struct CareRelationshipFact: Hashable, Sendable {
    public let providerID: UserID
    public let period: ActivePeriod

    public init(providerID: UserID, period: ActivePeriod) {
        self.providerID = providerID
        self.period = period
    }
}

/// Who a patient may message with a given type: the providers they have an active care relationship with (when the
/// type offers the care team), plus the pools the type names. The same rule answers the recipient list, every send
/// and every change of recipient, so an API call cannot reach anyone the list would not offer.
public enum RecipientEligibility {
    public static func recipients(
        for type: MessageTypeRule, relationships: [CareRelationshipFact], on day: CalendarDate
    ) -> Set<Recipient> {
        var recipients = Set(type.pools.map(Recipient.pool))
        if type.offersCareTeam {
            for relationship in relationships
            where relationship.period.isWellFormed && relationship.period.contains(day) {
                recipients.insert(.provider(relationship.providerID))
            }
        }
        return recipients
    }

    public static func isEligible(
        _ recipient: Recipient, for type: MessageTypeRule, relationships: [CareRelationshipFact], on day: CalendarDate
    ) -> Bool {
        recipients(for: type, relationships: relationships, on: day).contains(recipient)
    }

    /// The explanation shown whenever someone is not on the list.
    public static let notEligibleExplanation =
        "You can only message providers you have an established relationship with for this type of message. "
        + "If you don't see the provider you are trying to contact, call the provider's office."
}
