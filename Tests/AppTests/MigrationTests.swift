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
