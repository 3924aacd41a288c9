import Domain
import Fluent
import FluentSQL
import Foundation

/// Edit: changing a conversation's subject, recipient or confidentiality, each change kept as an event. Who may change
/// which detail is `ConversationRules`' (docs/messaging.md has the table).
struct EditDetails {
    let store: MessagingStore

    var context: MessagingContext { store.context }
    var directory: RecipientDirectory { RecipientDirectory(store: store) }

    /// A change of details. A field left out is left alone; `subject: null` removes the subject.
    struct EditInput: Decodable, Sendable {
        var subject: String??
        var recipient: RecipientInput?
        var confidential: Bool?

        enum CodingKeys: String, CodingKey {
            case subject, recipient, confidential
        }

        init(subject: String?? = nil, recipient: RecipientInput? = nil, confidential: Bool? = nil) {
            self.subject = subject
            self.recipient = recipient
            self.confidential = confidential
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            subject =
                container.contains(.subject) ? .some(try container.decodeIfPresent(String.self, forKey: .subject)) : nil
            recipient = try container.decodeIfPresent(RecipientInput.self, forKey: .recipient)
            confidential = try container.decodeIfPresent(Bool.self, forKey: .confidential)
        }
    }

    /// Edits a conversation's details, refusing a stale `version` (409) rather than overwriting someone else's edit.
    /// Each changed field becomes an event in the conversation.
    func edit(_ id: UUID, version: Int?, _ input: EditInput) async throws -> ConversationResponse {
        let row = try await store.conversation(id, withState: false)
        let conversation = row.conversation
        let actor = context.actor
        guard ConversationRules.canEditDetails(actor, row.facts) else { throw MessagingError.forbidden }
        guard let version else { throw MessagingError.preconditionRequired }

        let newSubject = try input.subject.map { try SubjectInput.clean($0) } ?? conversation.subject
        let newRecipient = input.recipient?.recipient ?? conversation.recipient
        let newConfidential = input.confidential ?? conversation.confidential

        if newSubject != conversation.subject && !ConversationRules.canChangeSubject(actor, row.facts) {
            throw MessagingError.subjectLocked
        }
        if newRecipient != conversation.recipient && !ConversationRules.canChangeRecipient(actor, row.facts) {
            throw MessagingError.recipientLocked
        }
        if newConfidential != conversation.confidential && !ConversationRules.canSetConfidentiality(actor, row.facts) {
            throw MessagingError.confidentialityNotAllowed
        }
        let rule = try directory.messageType(conversation.$messageType.id).rule
        if newRecipient != conversation.recipient {
            guard try await directory.eligible(for: row.patientID, type: rule).contains(newRecipient) else {
                throw MessagingError.recipientNotEligible
            }
        }
        do {
            try ConversationRules.checkChange(
                from: conversation.facts, toRecipient: newRecipient, confidential: newConfidential, type: rule)
        } catch .wouldRevealConfidential {
            throw MessagingError.wouldRevealConfidential
        } catch .wouldWidenConfidential {
            throw MessagingError.wouldWidenConfidential
        } catch .confidentialityNotAllowed {
            throw MessagingError.confidentialityNotAllowed
        }

        let recipientNames =
            newRecipient == conversation.recipient
            ? [] : try await directory.describe([conversation.recipient, newRecipient])
        func name(_ recipient: Recipient) -> String {
            switch recipient {
            case .provider(let id): recipientNames.first { $0.kind == .provider && $0.id == id.uuid }?.name ?? ""
            case .pool(let id): recipientNames.first { $0.kind == .pool && $0.id == id.uuid }?.name ?? ""
            }
        }
        var changes: [(ConversationEvent.Detail, String?, String?)] = []
        if newSubject != conversation.subject { changes.append((.subject, conversation.subject, newSubject)) }
        if newRecipient != conversation.recipient {
            changes.append((.recipient, name(conversation.recipient), name(newRecipient)))
        }
        if newConfidential != conversation.confidential {
            changes.append((.confidential, String(conversation.confidential), String(newConfidential)))
        }

        let events = changes
        let patient = row.patientID
        try await store.write { store in
            // Of two edits made against one version, the second finds it gone.
            guard
                try await store.changeDetails(
                    id, version: version, subject: newSubject, recipient: newRecipient, confidential: newConfidential,
                    events: events)
            else { throw MessagingError.versionConflict }
            if !events.isEmpty { try await store.audit("conversation.edit", "conversation", id, actingFor: patient) }
        }
        context.announce(.details, in: id)
        return try await ConversationPresenter(store: store).current(id)
    }
}
