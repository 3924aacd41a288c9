import Fluent
import SQLKit
import Testing
import Vapor

@testable import App

@Suite struct MigrationTests {
    static let tables = [
        "organizations", "organization_holidays", "users", "user_roles", "pools", "pool_members", "care_relationships",
        "proxy_grants", "message_types", "message_type_pools", "user_sessions", "sign_in_attempts",
    ]

    @Test func migrationsApplyToAnEmptyDatabaseAndCreateEveryTable() async throws {
        try await withCarebox { app in
            for table in Self.tables {
                let count = try await app.db.rowCount(of: table)
                #expect(count == 0, "\(table) should exist and be empty")
            }
        }
    }

    @Test func migrationsRevertCleanlyAndApplyAgain() async throws {
        try await withCarebox { app in
            try await app.autoRevert()
            await #expect(throws: (any Error).self) {
                try await app.db.sql().raw("SELECT 1 FROM users").run()
            }
            try await app.autoMigrate()
            try await app.db.sql().raw("SELECT 1 FROM users").run()
        }
    }

    @Test func aUsernameCannotBeTakenTwice() async throws {
        try await withCarebox { app in
            let organization = Organization(name: "Test Clinic", timeZone: "UTC", responseBusinessDays: 3)
            try await organization.create(on: app.db)
            try await User(organizationID: organization.requireID(), username: "sam", name: "Sam One").create(
                on: app.db)
            await #expect(throws: (any Error).self) {
                try await User(organizationID: organization.requireID(), username: "SAM ", name: "Sam Two").create(
                    on: app.db)
            }
            // Several people without a login (children) are fine.
            try await User(organizationID: organization.requireID(), name: "Child One").create(on: app.db)
            try await User(organizationID: organization.requireID(), name: "Child Two").create(on: app.db)
        }
    }

    @Test func aRoleForAMissingUserIsRefusedByTheDatabase() async throws {
        try await withCarebox { app in
            await #expect(throws: (any Error).self) {
                try await UserRole(userID: UUID(), role: .patient).create(on: app.db)
            }
        }
    }
}

/// Conversations written before messages were numbered get numbers in the order they were written, and read state,
/// archiving and "Read by care team" carry over.
@Suite struct AddSequencesToMessagingTests {
    @Test func existingMessagesAreNumberedInTheOrderTheyWereWritten() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!)
        try await withDemoAPI(clock: clock) { demo in
            let alex = try await demo.client("alex")
            let chen = try await demo.client("mchen")
            let id = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            clock.advance(by: 60)
            _ = try await chen.get("/conversations/\(id)")
            clock.advance(by: 60)
            _ = try await chen.reply(id, "Second")
            clock.advance(by: 60)
            _ = try await alex.reply(id, "Third")
            _ = try await alex.send(.PUT, "/conversations/\(id)/archive")

            // As an older Carebox left it: no numbers.
            let db = demo.app.db
            try await AddSequencesToMessaging().revert(on: db)
            try await db.sql().raw(
                "DELETE FROM _fluent_migrations WHERE name = \(bind: AddSequencesToMessaging().name)"
            ).run()
            try await demo.app.autoMigrate()

            let messages = try await Message.query(on: db).filter(\.$conversation.$id == id).sort(\.$seq).all()
            #expect(messages.map(\.bodyText) == ["Hello", "Second", "Third"])
            #expect(messages.map(\.seq) == [1, 2, 3])
            let conversation = try await Conversation.find(id, on: db)!
            #expect(conversation.lastMessageSeq == 3)
            #expect(conversation.lastPatientSeq == 3)
            #expect(conversation.lastCareTeamSeq == 2)
            #expect(conversation.careTeamReadSeq == 1)
            #expect(conversation.startedSide == .patient)
            let state = try await ConversationState.query(on: db).filter(\.$user.$id == demo.user("alex")).first()!
            #expect(state.archivedSeq == 3)
            // Alex has not opened it since Dr. Chen answered, so it is still unread to him.
            #expect(try await alex.unreadInbox() == 0)
            #expect(try await alex.folder("archived").first?.unread == true)
        }
    }
}
