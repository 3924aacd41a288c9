import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Holidays, and new organisations with their default message types.
@Suite struct AdminConfigHolidaysTests {
    @Test func holidaysAreListedByYearAddedOnceAndRemoved() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let year2026: [AdminHolidayResponse] = try await admin.get("/admin/holidays?year=2026").decode()
            #expect(year2026.count == 11)
            #expect(year2026.allSatisfy { $0.date.hasPrefix("2026-") })
            let added = try await admin.send(
                .POST, "/admin/holidays", json: ["date": "2026-12-24", "name": "Christmas Eve"])
            #expect(added.status == .created)
            let holiday: AdminHolidayResponse = try added.decode()
            let again = try await admin.send(.POST, "/admin/holidays", json: ["date": "2026-12-24", "name": "Again"])
            #expect(again.status == .unprocessableEntity)
            #expect(again.json["field"] as? String == "date")
            #expect(
                try await admin.send(.POST, "/admin/holidays", json: ["date": "2026-02-30", "name": "No"]).status
                    == .unprocessableEntity)
            #expect(try await admin.get("/admin/holidays?year=1066").status == .unprocessableEntity)
            #expect(try await admin.send(.DELETE, "/admin/holidays/\(holiday.id)").status == .noContent)
            #expect(try await admin.send(.DELETE, "/admin/holidays/\(holiday.id)").status == .notFound)
            let events = try await AuditEvent.query(on: demo.app.db).filter(
                \.$action ~~ ["admin.holiday.add", "admin.holiday.remove"]
            )
            .sort(\.$sequence).all()
            #expect(events.map { AuditChange(json: $0.detail)?.after?["date"] } == ["2026-12-24", nil])
            #expect(AuditChange(json: events.last?.detail)?.before?["name"] == "Christmas Eve")
        }
    }

    @Test func aHolidayCountsAtOnceForTheReplyDate() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            // Wednesday 25 November 2026 + 3 business days, skipping Thanksgiving: Tuesday 1 December. With a holiday
            // on 30 November, Wednesday 2 December.
            _ = try await admin.send(.POST, "/admin/holidays", json: ["date": "2026-11-30", "name": "Clinic closed"])
            let alex = try await demo.client("alex")
            let started: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: demo.ids.start("General Message", to: demo.ids.provider("mchen"))
            ).decode()
            #expect(started.conversation.expectedReplyBy == "2026-12-02")
        }
    }

    @Test func loadingTheUSFederalHolidaysSkipsDatesAlreadyThere() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let again: AdminFederalHolidaysResponse = try await admin.send(
                .POST, "/admin/federal-holidays", json: ["year": 2027]
            ).decode()
            #expect(again.added.isEmpty)
            #expect(again.skipped == USFederalHolidays.observed(in: 2027).count)
            let loaded: AdminFederalHolidaysResponse = try await admin.send(
                .POST, "/admin/federal-holidays", json: ["year": 2028]
            ).decode()
            #expect(loaded.added.count == USFederalHolidays.observed(in: 2028).count)
            #expect(
                try await admin.send(.POST, "/admin/federal-holidays", json: ["year": 3000]).status
                    == .unprocessableEntity)
        }
    }

    @Test func theHolidaysPageAddsRemovesAndLoadsWithPlainForms() async throws {
        try await withDemoAPI { demo in
            try await demo.browser.signIn("admin")
            let page = try await demo.browser.get("/administration/holidays?year=2028")
            #expect(page.body.contains("Load US federal holidays for 2028"))
            #expect(
                try await demo.browser.post("/administration/holidays/federal", ["year": "2028"]).status == .seeOther)
            #expect(try await demo.browser.get("/administration/holidays?year=2028").body.contains("Labor Day"))
            let duplicate = try await demo.browser.post(
                "/administration/holidays", ["date": "2028-07-04", "name": "Fourth", "year": "2028"])
            #expect(duplicate.status == .unprocessableEntity)
            #expect(duplicate.body.contains("2028-07-04 is already a holiday."))
        }
    }

    @Test func aNewOrganizationStartsWithTheDefaultMessageTypesAndItsAdministrator() async throws {
        try await withCarebox { app in
            try await CreateOrganizationCommand.create(
                name: "Lakeside Clinic", timeZone: "America/Denver", admin: "lee", adminName: "Lee Park",
                passwordHash: "x", on: app.db)
            let organization = try #require(
                try await Organization.query(on: app.db).filter(\.$name == "Lakeside Clinic").first())
            let types = try await MessageType.query(on: app.db).filter(\.$organization.$id == organization.id!)
                .sort(\.$position).all()
            #expect(
                types.map(\.name) == [
                    "General Message", "Medical Question", "Prescription Renewal", "Billing Question",
                    "Appointment Request",
                ])
            // Without pools yet, every type reaches the care team.
            #expect(types.allSatisfy { $0.offersCareTeam })
            let admin = try #require(
                try await User.query(on: app.db).filter(\.$username == "lee").with(\.$roleGrants).first())
            #expect(admin.roleGrants.map(\.role) == [.admin])
            #expect(admin.$organization.id == organization.id)

            await #expect(throws: CommandUsageError.self) {
                try await CreateOrganizationCommand.create(
                    name: "Lakeside Clinic", timeZone: "UTC", admin: "other", adminName: "Other", passwordHash: "x",
                    on: app.db)
            }
            await #expect(throws: CommandUsageError.self) {
                try await CreateOrganizationCommand.create(
                    name: "Hillside", timeZone: "UTC", admin: "lee", adminName: "Lee", passwordHash: "x", on: app.db)
            }
            #expect(try await Organization.query(on: app.db).count() == 1)
        }
    }
}
