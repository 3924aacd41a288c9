import Domain
import Fluent
import Foundation
import SQLKit

/// Turns conversations, messages and events into responses, loading the names they need in a few batched queries
/// rather than one per row.
struct ConversationPresenter {
    let db: any Database
    let context: MessagingContext

    func summaries(_ conversations: [Conversation], states: [UUID: ReadState]) async throws
        -> [ConversationSummaryResponse]
    {
        guard !conversations.isEmpty else { return [] }
        let users = try await self.users(Set(conversations.flatMap(Self.people)))
        return try await summaries(conversations, states: states, users: users)
    }

    /// The people a summary names: the patient, the provider it is addressed to, the assignee.
    private static func people(in conversation: Conversation) -> [UUID] {
        [conversation.$patient.id] + [conversation.$recipientProvider.id, conversation.$assignee.id].compactMap { $0 }
    }

    private func summaries(
        _ conversations: [Conversation], states: [UUID: ReadState], users: [UUID: User]
    ) async throws -> [ConversationSummaryResponse] {
        let people = users.mapValues(\.personName.displayName)
        let today = context.today.description
        let poolIDs = Set(conversations.compactMap(\.$recipientPool.id))
        let pools =
            poolIDs.isEmpty
            ? [] : try await db.models(Pool.self, "SELECT * FROM pools WHERE id IN (\(binds: Array(poolIDs)))")
        let poolNames = Dictionary(uniqueKeysWithValues: pools.map { ($0.id!, $0.name) })
        let typeNames = Dictionary(uniqueKeysWithValues: context.messageTypes.map { ($0.id, $0.name) })

        return conversations.map { conversation in
            let id = conversation.id!
            let state = states[id]
            let recipient: RecipientResponse =
                switch conversation.recipient {
                case .provider(let provider):
                    RecipientResponse(
                        kind: .provider, id: provider.uuid, name: people[provider.uuid] ?? "",
                        detail: users[provider.uuid]?.specialty)
                case .pool(let pool):
                    RecipientResponse(
                        kind: .pool, id: pool.uuid, name: poolNames[pool.uuid] ?? "", detail: "Care team pool")
                }
            let typeName = typeNames[conversation.$messageType.id] ?? ""
            return ConversationSummaryResponse(
                id: id,
                patient: PersonResponse(id: conversation.$patient.id, name: people[conversation.$patient.id] ?? ""),
                messageType: typeName, subject: conversation.subject, title: conversation.subject ?? typeName,
                recipient: recipient, confidential: conversation.confidential, status: conversation.status.rawValue,
                lastMessageAt: conversation.lastMessageAt, expectedReplyBy: conversation.expectedReplyBy,
                unread: state?.lastReadAt.map { $0 < conversation.lastMessageAt } ?? true,
                archived: state?.archivedAt != nil,
                assignee: conversation.$assignee.id.map { PersonResponse(id: $0, name: people[$0] ?? "") },
                doneAt: conversation.doneAt,
                readByCareTeamAt: conversation.careTeamReadAt.flatMap { read in
                    conversation.lastPatientMessageAt.map { read >= $0 } ?? true ? read : nil
                },
                overdue: conversation.status == .open && conversation.awaitingCareTeam
                    && conversation.expectedReplyBy < today,
                patientBirthDate: users[conversation.$patient.id]?.birthDate)
        }
    }

    func detail(_ conversation: Conversation, state: ReadState?) async throws -> ConversationResponse {
        let id = conversation.id!
        let messages = try await db.models(
            Message.self, "SELECT * FROM messages WHERE conversation_id = \(bind: id) ORDER BY created_at, id")
        // The events of one edit share a time; they are listed in the order of the form's fields.
        let events = try await db.models(
            ConversationEvent.self, "SELECT * FROM conversation_events WHERE conversation_id = \(bind: id)"
        ).sorted {
            let order = ConversationEvent.Detail.allCases
            return ($0.createdAt, order.firstIndex(of: $0.field)!) < ($1.createdAt, order.firstIndex(of: $1.field)!)
        }
        let users = try await self.users(
            Set(messages.map(\.$author.id) + events.map(\.$actor.id) + Self.people(in: conversation)))
        let people = users.mapValues(\.personName.displayName)
        let summary = try await summaries([conversation], states: state.map { [id: $0] } ?? [:], users: users)[0]
        let attachments = try await AttachmentService.list(messages: messages.compactMap(\.id), on: db)
        let patient = PersonResponse(id: conversation.$patient.id, name: people[conversation.$patient.id] ?? "")

        let messageResponses = messages.map {
            Self.response($0, people: people, patient: patient, attachments: attachments[$0.id!] ?? [])
        }
        let eventResponses = events.map { event in
            let by = PersonResponse(id: event.$actor.id, name: people[event.$actor.id] ?? "")
            return ConversationEventResponse(
                field: event.field.rawValue, from: event.fromValue, to: event.toValue, by: by, at: event.createdAt,
                summary: Self.describe(event, by: by.name))
        }
        return ConversationResponse(
            conversation: summary, version: conversation.version, messages: messageResponses, events: eventResponses,
            expectedReplyNotice: "You can expect a reply by \(Self.longDate(conversation.expectedReplyBy)).")
    }

    /// One message, as a send answers with it: two small queries rather than re-reading the conversation.
    func message(_ message: Message, patient patientID: UUID) async throws -> MessageResponse {
        let people = try await names([message.$author.id, patientID])
        let attachments = try await AttachmentService.list(messages: [message.id!], on: db)
        return Self.response(
            message, people: people, patient: PersonResponse(id: patientID, name: people[patientID] ?? ""),
            attachments: attachments[message.id!] ?? [])
    }

    /// A message the actor has just written: everything it shows is known already, but for the patient's name on a
    /// proxy's message.
    func written(_ message: Message, patient patientID: UUID) async throws -> MessageResponse {
        var people = [context.userID: context.user.displayName]
        if message.side == .proxy { people[patientID] = try await names([patientID])[patientID] }
        return Self.response(
            message, people: people, patient: PersonResponse(id: patientID, name: people[patientID] ?? ""),
            attachments: [])
    }

    private static func response(
        _ message: Message, people: [UUID: String], patient: PersonResponse, attachments: [AttachmentResponse]
    ) -> MessageResponse {
        let author = PersonResponse(id: message.$author.id, name: people[message.$author.id] ?? "")
        let onBehalfOf = message.side == .proxy ? patient : nil
        let document = RichTextDocument.fromJSON(message.body) ?? RichTextDocument(plainText: message.bodyText)
        return MessageResponse(
            id: message.id!, author: author, onBehalfOf: onBehalfOf,
            byline: onBehalfOf.map { "\(author.name) on behalf of \($0.name)" } ?? author.name,
            side: message.side.rawValue, createdAt: message.createdAt, body: document, bodyText: message.bodyText,
            bodyHTML: document.html, attachments: attachments)
    }

    func names(_ ids: Set<UUID>) async throws -> [UUID: String] {
        try await users(ids).mapValues(\.personName.displayName)
    }

    private func users(_ ids: Set<UUID>) async throws -> [UUID: User] {
        guard !ids.isEmpty else { return [:] }
        let users = try await db.models(User.self, "SELECT * FROM users WHERE id IN (\(binds: Array(ids)))")
        return Dictionary(uniqueKeysWithValues: users.map { ($0.id!, $0) })
    }

    static func describe(_ event: ConversationEvent, by name: String) -> String {
        switch event.field {
        case .subject:
            "Subject changed from “\(event.fromValue ?? "(none)")” to “\(event.toValue ?? "(none)")” by \(name)"
        case .recipient:
            "Recipient changed from \(event.fromValue ?? "") to \(event.toValue ?? "") by \(name)"
        case .confidential:
            event.toValue == "true" ? "Marked confidential by \(name)" : "Confidentiality turned off by \(name)"
        }
    }

    /// "Wednesday, November 25, 2026".
    static func longDate(_ day: String) -> String {
        guard let date = CalendarDate(day) else { return day }
        let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        return "\(weekdays[date.isoWeekday - 1]), \(months[date.month - 1]) \(date.day), \(date.year)"
    }
}
