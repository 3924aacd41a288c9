import Domain
import Fluent
import SQLKit
import Testing
import Vapor

@testable import App

@Suite struct DemoOrganizationTests {
    @Test func loadingTheDemoTwiceCreatesNothingTwice() async throws {
        try await withCarebox { app in
            #expect(try await DemoOrganization.loadIfMissing(on: app.db, passwordHasher: app.password.async))
            let first = try await rowCounts(app.db)
            #expect(try await !DemoOrganization.loadIfMissing(on: app.db, passwordHasher: app.password.async))
            #expect(try await rowCounts(app.db) == first)
            #expect(first["users"] == 9)
        }
    }

    @Test func theDemoHasThePeopleAndRelationshipsTheDocsDescribe() async throws {
        try await withDemo { app in
            let users = try await User.query(on: app.db).with(\.$roleGrants).all()
            func user(_ name: String) -> User? { users.first { $0.name == name } }
            #expect(user("Alex Rivera")?.username == "alex")
            #expect(user("Alex Rivera")?.birthDate == "1988-04-12")
            #expect(user("Sam Rivera")?.username == nil)
            #expect(user("Sam Rivera")?.passwordHash == nil)
            #expect(user("Maya Chen")?.personName.displayName == "Dr. Maya Chen")
            #expect(user("Nina Torres")?.personName.displayName == "Nina Torres, RN")
            #expect(Set(user("Jordan Rivera")?.roleGrants.map(\.role) ?? []) == [.patient, .proxy])

            let relationships = try await CareRelationship.query(on: app.db).with(\.$patient).with(\.$provider).all()
            let pairs = Set(relationships.map { "\($0.patient.name) → \($0.provider.name)" })
            #expect(
                pairs == [
                    "Alex Rivera → Maya Chen", "Alex Rivera → Omar Haddad", "Jordan Rivera → Maya Chen",
                    "Sam Rivera → Maya Chen",
                ])

            let grants = try await ProxyGrant.query(on: app.db).with(\.$proxy).with(\.$patient).all()
            #expect(
                Set(grants.map { "\($0.proxy.name) for \($0.patient.name) (\($0.relationship))" }) == [
                    "Jordan Rivera for Alex Rivera (spouse)", "Jordan Rivera for Sam Rivera (parent)",
                ])

            let types = try await MessageType.query(on: app.db).with(\.$pools).sort(\.$position).all()
            #expect(
                types.map(\.name) == [
                    "General Message", "Medical Question", "Prescription Renewal", "Billing Question",
                    "Appointment Request",
                ])
            #expect(
                types.map { $0.pools.map(\.name) } == [[], ["Nurse Triage"], [], ["Billing Office"], ["Nurse Triage"]])
            #expect(types.map(\.offersCareTeam) == [true, true, true, false, false])
            #expect(types.first { $0.name == "Billing Question" }?.allowsConfidentiality == false)

            let organization = try #require(try await Organization.query(on: app.db).with(\.$holidays).first())
            #expect(organization.timeZone == "America/Chicago")
            #expect(organization.responseBusinessDays == 3)
            #expect(organization.holidays.contains { $0.date == "2026-11-26" && $0.name == "Thanksgiving Day" })
            #expect(organization.holidays.count == 23)
        }
    }

    private func rowCounts(_ db: any Database) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in MigrationTests.tables {
            counts[table] = try await db.rowCount(of: table)
        }
        return counts
    }
}
