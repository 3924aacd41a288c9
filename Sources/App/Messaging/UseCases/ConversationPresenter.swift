import Domain
import Fluent
import Foundation
import SQLKit

/// Turns conversations, messages and events into responses, loading the names they need in a few batched queries
/// rather than one per row.
struct ConversationPresenter {
    let store: MessagingStore

    var context: MessagingContext { store.context }

    /// How many messages opening a conversation shows; "Show earlier messages" pages back by as many.
    static let messagesPerPage = 50

    func summaries(_ conversations: [VisibleConversation]) async throws -> [ConversationSummaryResponse] {
        guard !conversations.isEmpty else { return [] }
        let ids = conversations.map(\.id)
        let latest = try await store.latestMessages(of: ids)
        let users = try await store.users(
            Set(conversations.flatMap { Self.people(in: $0.conversation) } + latest.values.map(\.$author.id)))
        return try await summaries(
            conversations, users: users, latest: latest, withAttachments: try await store.withAttachments(ids))
    }

    /// A message's text on one line, cut at a word boundary: a list row's preview.
    static func preview(_ text: String, limit: Int = 100) -> String {
        let line = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard line.count > limit else { return line }
        let cut = line.prefix(limit)
        let words = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return words.trimmingCharacters(in: .punctuationCharacters.union(.whitespaces)) + "…"
    }

    /// Who wrote a message, as a list names them: "You", the care-team member, the patient, or "Jordan Rivera for
    /// Alex" when a proxy wrote for them.
    private func writer(of message: Message, patient: UUID, people: [UUID: String]) -> String {
        let author = message.$author.id
        if author == context.userID { return "You" }
        let name = people[author] ?? ""
        guard message.side == .proxy, let patientName = people[patient] else { return name }
        return "\(name) for \(patientName.split(separator: " ").first.map(String.init) ?? patientName)"
    }

    /// The people a summary names: the patient, the provider it is addressed to, the assignee.
    private static func people(in conversation: Conversation) -> [UUID] {
        [conversation.$patient.id] + [conversation.$recipientProvider.id, conversation.$assignee.id].compactMap { $0 }
    }

    private func summaries(
        _ rows: [VisibleConversation], users: [UUID: User], latest: [UUID: Message], withAttachments: Set<UUID>
    ) async throws -> [ConversationSummaryResponse] {
        let people = users.mapValues(\.personName.displayName)
        let today = context.today.description
        let pools = try await store.pools(Set(rows.compactMap(\.conversation.$recipientPool.id)))
        let typeNames = Dictionary(uniqueKeysWithValues: context.messageTypes.map { ($0.id, $0.name) })

        return rows.map { row in
            let conversation = row.conversation
            let recipient: RecipientResponse =
                switch conversation.recipient {
                case .provider(let provider):
                    RecipientResponse(
                        kind: .provider, id: provider.uuid, name: people[provider.uuid] ?? "",
                        detail: users[provider.uuid]?.specialty)
                case .pool(let pool):
                    RecipientResponse(
                        kind: .pool, id: pool.uuid, name: pools[pool.uuid]?.name ?? "", detail: "Care team pool")
                }
            let typeName = typeNames[conversation.$messageType.id] ?? ""
            let patientWrote = conversation.lastPatientSeq > 0
            return ConversationSummaryResponse(
                id: row.id,
                patient: PersonResponse(id: row.patientID, name: people[row.patientID] ?? ""),
                messageType: typeName, subject: conversation.subject, title: conversation.subject ?? typeName,
                recipient: recipient, startedBy: conversation.startedSide.rawValue,
                confidential: conversation.confidential, status: conversation.status.rawValue,
                lastMessageAt: conversation.lastMessageAt, expectedReplyBy: conversation.expectedReplyBy,
                unread: row.unread, archived: row.archived,
                assignee: conversation.$assignee.id.map { PersonResponse(id: $0, name: people[$0] ?? "") },
                doneAt: conversation.doneAt,
                readByCareTeamAt: patientWrote && conversation.careTeamReadSeq >= conversation.lastPatientSeq
                    ? conversation.careTeamReadAt : nil,
                overdue: conversation.status == .open && conversation.awaitingCareTeam
                    && conversation.expectedReplyBy < today,
                patientBirthDate: row.side == .careTeam ? users[row.patientID]?.birthDate : nil,
                patientRecordNumber: row.side == .careTeam ? users[row.patientID]?.recordNumber : nil,
                lastMessage: latest[row.id].map { message in
                    LastMessageResponse(
                        writer: writer(of: message, patient: row.patientID, people: people),
                        side: message.side.rawValue, preview: Self.preview(message.bodyText))
                },
                hasAttachments: withAttachments.contains(row.id))
        }
    }

    /// A conversation as opened: its latest messages up to `last` (or those before `before`, paging back), the changes
    /// of details made over the same span, and what the actor's side is told about replies.
    func detail(_ row: VisibleConversation, upTo last: Int, before: Int?) async throws -> ConversationResponse {
        let conversation = row.conversation
        // Paging back, the page reads one message more: the first of the later page, where its span of time ends.
        let pagingBack = before.map { $0 <= last } ?? false
        var messages = try await store.messages(
            in: row.id, upTo: pagingBack ? before! : last, limit: Self.messagesPerPage + (pagingBack ? 1 : 0))
        let end = pagingBack ? messages.popLast()?.createdAt : nil
        let earlier = messages.first.map { $0.seq > 1 } ?? false
        // The changes of details made over the span shown: from its first message (from the start on the first page)
        // up to the first message of the next page (to now on the latest). The events of one edit share a time; they
        // are listed in the form's order.
        let order = ConversationEvent.Detail.allCases
        let events = try await store.events(in: row.id, since: earlier ? messages.first?.createdAt : nil).filter {
            event in end.map { event.createdAt < $0 } ?? true
        }.sorted {
            ($0.createdAt, order.firstIndex(of: $0.field)!) < ($1.createdAt, order.firstIndex(of: $1.field)!)
        }
        let users = try await store.users(
            Set(messages.map(\.$author.id) + events.map(\.$actor.id) + Self.people(in: conversation)))
        let people = users.mapValues(\.personName.displayName)
        let attachments = try await store.attachments(messages: messages.compactMap(\.id))
        // The latest message and the paperclip come with the page when it is the latest page and has attachments.
        var latest: [UUID: Message] = [:]
        if let last = messages.last, last.seq == conversation.lastMessageSeq {
            latest[row.id] = last
        } else {
            latest = try await store.latestMessages(of: [row.id])
        }
        let withAttachments = attachments.isEmpty ? try await store.withAttachments([row.id]) : [row.id]
        let summary = try await summaries([row], users: users, latest: latest, withAttachments: withAttachments)[0]
        let patient = PersonResponse(id: row.patientID, name: people[row.patientID] ?? "")

        let messageResponses = messages.map {
            Self.response($0, people: people, patient: patient, attachments: attachments[$0.id!] ?? [])
        }
        let eventResponses = events.map { event in
            let by = PersonResponse(id: event.$actor.id, name: people[event.$actor.id] ?? "")
            return ConversationEventResponse(
                field: event.field.rawValue, from: event.fromValue, to: event.toValue, by: by, at: event.createdAt,
                summary: Self.describe(event, by: by.name))
        }
        // Only the patient side waits for a reply, and only while the care team has not answered.
        let waiting = row.side.isPatientSide && conversation.awaitingCareTeam
        return ConversationResponse(
            conversation: summary, version: conversation.version, messages: messageResponses, events: eventResponses,
            earlierBefore: earlier ? messages.first?.seq : nil,
            expectedReplyNotice: waiting
                ? "You can expect a reply by \(Self.longDate(conversation.expectedReplyBy))." : nil)
    }

    /// A conversation's latest messages as they are now, after a change, without marking it read.
    func current(_ id: UUID) async throws -> ConversationResponse {
        let row = try await store.conversation(id)
        return try await detail(row, upTo: row.conversation.lastMessageSeq, before: nil)
    }

    /// One message, as a send answers with it: two small queries rather than re-reading the conversation.
    func message(_ message: Message, patient patientID: UUID) async throws -> MessageResponse {
        let people = try await names([message.$author.id, patientID])
        let attachments = try await store.attachments(messages: [message.id!])
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
            side: message.side.rawValue, seq: message.seq, createdAt: message.createdAt, body: document,
            bodyText: message.bodyText,
            bodyHTML: document.html, attachments: attachments)
    }

    func names(_ ids: Set<UUID>) async throws -> [UUID: String] {
        try await store.users(ids).mapValues(\.personName.displayName)
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
