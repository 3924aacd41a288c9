import Domain
import Fluent
import FluentSQL
import Foundation

extension MessagingService {
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
    func editDetails(_ id: UUID, version: Int?, _ input: EditInput) async throws -> ConversationResponse {
        let conversation = try await MessagingQueries.visibleConversation(id, context, on: db)
        guard ConversationRules.canEditDetails(context.actor, conversation.facts) else {
            throw MessagingError.forbidden
        }
        guard let version else { throw MessagingError.preconditionRequired }

        let newSubject = try input.subject.map { try SubjectInput.clean($0) } ?? conversation.subject
        let newRecipient = input.recipient?.recipient ?? conversation.recipient
        let newConfidential = input.confidential ?? conversation.confidential

        if newConfidential != conversation.confidential
            && !ConversationRules.canSetConfidentiality(context.actor, conversation.facts)
        {
            throw MessagingError.confidentialityNotAllowed
        }
        let rule = try directory.messageType(conversation.$messageType.id).rule
        if newRecipient != conversation.recipient {
            guard try await directory.eligible(for: conversation.$patient.id, type: rule).contains(newRecipient) else {
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
        let context = self.context
        try await writes.transaction(on: db) { db in
            // Claim the version first: of two edits made against one version, the second finds it gone.
            let claimed = try await db.sql().raw(
                """
                UPDATE conversations SET version = version + 1
                WHERE id = \(bind: id) AND version = \(bind: version) RETURNING id
                """
            ).all()
            guard !claimed.isEmpty else { throw MessagingError.versionConflict }
            guard !events.isEmpty else { return }
            let fresh = try await Conversation.find(id, on: db)!
            fresh.subject = newSubject
            fresh.setRecipient(newRecipient)
            fresh.confidential = newConfidential
            try await fresh.save(on: db)
            for (field, from, to) in events {
                try await ConversationEvent(
                    conversationID: id, actorID: context.userID, field: field, from: from, to: to, at: context.now
                ).create(on: db)
            }
            try await context.audit(
                "conversation.edit", "conversation", id, actingFor: conversation.$patient.id, on: db)
        }
        return try await show(id, markRead: false)
    }
}
