import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Each `MessagingStore` statement called directly, on SQLite or PostgreSQL (`DATABASE_URL`), in a small world built
/// for the test.
@Suite struct MessagingStoreTests {
    /// Alex (patient) with Dr. Chen (provider), and Nina (staff) in Nurse Triage.
    struct Clinic {
        let world: WorldBuilder
        let alex: UUID
        let chen: UUID
        let nina: UUID
        let triage: UUID
    }

    func withClinic(_ body: (Clinic) async throws -> Void) async throws {
        try await withCarebox { app in
            let world = try await WorldBuilder.make(app)
            let triage = try await world.pool("Nurse Triage")
            let alex = try await world.patient("Alex Rivera")
            let chen = try await world.provider("Maya Chen")
            let nina = try await world.staff("Nina Torres", in: [triage])
            try await world.careRelationship(alex, chen)
            try await body(Clinic(world: world, alex: alex, chen: chen, nina: nina, triage: triage))
        }
    }

    func message(in conversation: UUID, _ side: ConversationSide, _ text: String = "Text") -> NewMessage {
        NewMessage(
            id: UUID(), conversationID: conversation, side: side, body: RichTextDocument(plainText: text),
            idempotencyKey: nil)
    }

    @Test func messagesAreNumberedInOrderAndEachSideKeepsItsLatest() async throws {
        try await withClinic { clinic in
            let id = try await clinic.world.conversation(by: clinic.alex, to: .provider(UserID(clinic.chen)))
            let chen = try await clinic.world.store(as: clinic.chen)
            let day = CalendarDate("2026-12-01")!
            let seqs = [
                try await chen.write { try await $0.append(message(in: id, .careTeam), expectedReplyBy: day).seq },
                try await chen.write { try await $0.append(message(in: id, .careTeam), expectedReplyBy: day).seq },
            ]
            #expect(seqs == [2, 3])
            let row = try await chen.conversation(id).conversation
            #expect((row.lastMessageSeq, row.lastPatientSeq, row.lastCareTeamSeq) == (3, 1, 3))
            #expect(try await chen.messages(in: id, upTo: 3, limit: 2).map(\.seq) == [2, 3])
            #expect(try await chen.messages(in: id, upTo: 1, limit: 2).map(\.seq) == [1])
            #expect(try await chen.messages(in: id, upTo: 2, limit: 50).map(\.seq) == [1, 2])
        }
    }

    @Test func readingMarksUpToTheLatestMessageAndNeverGoesBack() async throws {
        try await withClinic { clinic in
            let id = try await clinic.world.conversation(by: clinic.alex, to: .provider(UserID(clinic.chen)))
            let alex = try await clinic.world.store(as: clinic.alex)
            let chen = try await clinic.world.store(as: clinic.chen)
            #expect(try await chen.conversation(id).unread)
            #expect(try await chen.write { try await $0.markRead(id, byCareTeam: true) } == 1)
            #expect(!(try await chen.conversation(id).unread))
            #expect(try await chen.conversation(id).conversation.careTeamReadSeq == 1)

            _ = try await chen.write {
                try await $0.append(message(in: id, .careTeam), expectedReplyBy: CalendarDate("2026-12-01")!)
            }
            #expect(try await alex.conversation(id).unread)
            #expect(try await alex.unreadCounts(patient: nil) == (1, 0))
            #expect(try await alex.write { try await $0.markRead(id, byCareTeam: false) } == 2)
            #expect(try await alex.unreadCounts(patient: nil) == (0, 0))
            let state = try await ConversationState.query(on: alex.db).filter(\.$user.$id == clinic.alex).first()!
            #expect(state.lastReadSeq == 2)
        }
    }

    @Test func archivingHidesUntilTheOtherSideWrites() async throws {
        try await withClinic { clinic in
            let id = try await clinic.world.conversation(by: clinic.alex, to: .provider(UserID(clinic.chen)))
            let alex = try await clinic.world.store(as: clinic.alex)
            let chen = try await clinic.world.store(as: clinic.chen)
            try await alex.write { try await $0.setArchived(id, true) }
            #expect(try await alex.folder(.archived, patient: nil, after: nil, limit: 10).items.map(\.id) == [id])
            #expect(try await alex.folder(.sent, patient: nil, after: nil, limit: 10).items.isEmpty)
            _ = try await chen.write {
                try await $0.append(message(in: id, .careTeam), expectedReplyBy: CalendarDate("2026-12-01")!)
            }
            #expect(try await alex.folder(.archived, patient: nil, after: nil, limit: 10).items.isEmpty)
            let inbox = try await alex.folder(.inbox, patient: nil, after: nil, limit: 10).items
            #expect(inbox.map(\.id) == [id])
            #expect(inbox.first?.unread == true)
            try await alex.write { try await $0.setArchived(id, true) }
            try await alex.write { try await $0.setArchived(id, false) }
            #expect(try await alex.folder(.inbox, patient: nil, after: nil, limit: 10).items.map(\.id) == [id])
        }
    }

    @Test func workChangesHappenOnlyIfTheConversationIsAsTheCallerSawIt() async throws {
        try await withClinic { clinic in
            let id = try await clinic.world.conversation(by: clinic.alex, to: .pool(PoolID(clinic.triage)))
            let nina = try await clinic.world.store(as: clinic.nina)
            let chen = try await clinic.world.store(as: clinic.chen)
            #expect(try await nina.write { try await $0.change(id, .claim) })
            #expect(try await nina.write { try await $0.change(id, .claim) })
            #expect(!(try await nina.write { try await $0.change(id, .assign(clinic.chen, expected: clinic.chen)) }))
            #expect(try await nina.write { try await $0.change(id, .assign(clinic.chen, expected: clinic.nina)) })
            #expect(!(try await nina.write { try await $0.change(id, .claim) }))
            #expect(try await chen.write { try await $0.change(id, .done) })
            #expect(!(try await chen.write { try await $0.change(id, .done) }))
            #expect(try await chen.write { try await $0.change(id, .reopen) })
            #expect(!(try await chen.write { try await $0.change(id, .reopen) }))
        }
    }

    @Test func theInBasketCountsEachFilterInOneStatementAndPagesOverdueFirst() async throws {
        try await withClinic { clinic in
            let first = try await clinic.world.conversation(by: clinic.alex, to: .pool(PoolID(clinic.triage)))
            let second = try await clinic.world.conversation(by: clinic.alex, to: .pool(PoolID(clinic.triage)))
            let nina = try await clinic.world.store(as: clinic.nina)
            _ = try await nina.write { try await $0.change(second, .claim) }
            let today = nina.context.today
            let filters: [InBasketFilter] = [.open, .unread, .assignedToMe, .pool(clinic.triage), .overdue, .done]
            #expect(try await nina.inBasketCounts(filters, today: today) == [2, 2, 1, 2, 0, 0])
            // Ten business days on, both are overdue.
            let later = today.adding(days: 20)
            #expect(try await nina.inBasketCounts([.overdue], today: later) == [2])
            let page = try await nina.inBasket(.open, today: later, after: nil, limit: 1)
            #expect(page.hasMore)
            let cursor = PageCursor(
                time: page.items[0].conversation.lastMessageAt, id: page.items[0].id, overdue: true)
            let next = try await nina.inBasket(.open, today: later, after: cursor, limit: 1)
            #expect(Set((page.items + next.items).map(\.id)) == [first, second])
            #expect(!next.hasMore)
        }
    }

    @Test func draftsAreSavedAtAVersionAndTakenOnce() async throws {
        try await withClinic { clinic in
            let alex = try await clinic.world.store(as: clinic.alex)
            let id = UUID()
            let fields = DraftFields(
                patient: clinic.alex, conversation: nil, messageType: clinic.world.generalType, recipient: nil,
                subject: "Knee", confidential: false, body: nil)
            try await alex.write { try await $0.insertDraft(id, fields) }
            // The same write run twice, as a failed group commit does: plain values, so the second run is harmless.
            #expect(try await alex.write { try await $0.updateDraft(id, version: 1, fields) })
            #expect(!(try await alex.write { try await $0.updateDraft(id, version: 1, fields) }))
            #expect(try await alex.draft(id).version == 2)
            #expect(try await alex.draftCount(patient: nil) == 1)
            #expect(try await alex.write { try await $0.takeDraft(id, version: 2) })
            #expect(!(try await alex.write { try await $0.takeDraft(id, version: 2) }))
            try await alex.write { try await $0.finishDraft(id, sentAs: nil) }
            #expect(try await alex.draftCount(patient: nil) == 0)
            let nina = try await clinic.world.store(as: clinic.nina)
            await #expect(throws: MessagingError.notFound) { try await nina.draft(id) }
        }
    }
}
