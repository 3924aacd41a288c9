import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Organisation settings through the API and the page, as the demo's `admin`.
@Suite struct AdminConfigSettingsTests {
    static func settingsBody(_ settings: AdminSettingsResponse, change: (inout [String: Any]) -> Void = { _ in })
        -> [String: Any]
    {
        var body: [String: Any] = [
            "messagingEnabled": settings.messagingEnabled, "messagingAccountTypes": settings.messagingAccountTypes,
            "replyBusinessDays": settings.replyBusinessDays, "timeZone": settings.timeZone,
            "replyNotice": settings.replyNotice, "urgentNotice": settings.urgentNotice,
            "attachmentMaxFiles": settings.attachmentMaxFiles,
            "attachmentMaxFileBytes": settings.attachmentMaxFileBytes,
            "attachmentMaxMessageBytes": settings.attachmentMaxMessageBytes,
            "attachmentTypes": settings.attachmentTypes, "notificationFrom": settings.notificationFrom,
            "notificationText": settings.notificationText,
        ]
        change(&body)
        return body
    }

    @Test func aChangedReplyTimeShowsOnTheComposePageAtOnceWithTheNoticeInStep() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let read = try await admin.get("/admin/settings")
            #expect(read.headers.first(name: .eTag) == "\"1\"")
            let settings: AdminSettingsResponse = try read.decode()
            #expect(settings.replyNotice == "Remember to allow up to three business days for a response.")

            let saved = try await admin.send(
                .PUT, "/admin/settings", json: Self.settingsBody(settings) { $0["replyBusinessDays"] = 2 },
                headers: ["If-Match": "\"1\""])
            #expect(saved.status == .ok)
            #expect(saved.headers.first(name: .eTag) == "\"2\"")
            #expect(
                try saved.decode(AdminSettingsResponse.self).replyNotice
                    == "Remember to allow up to two business days for a response.")

            try await demo.browser.signIn("alex")
            let compose = try await demo.browser.get("/messages/new")
            #expect(compose.body.contains("Remember to allow up to two business days for a response."))
        }
    }

    @Test func anAdministratorsOwnReplyNoticeIsKeptWhenTheReplyTimeChanges() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            let saved: AdminSettingsResponse = try await admin.send(
                .PUT, "/admin/settings",
                json: Self.settingsBody(settings) {
                    $0["replyBusinessDays"] = 5
                    $0["replyNotice"] = "Our team answers within a week."
                }, headers: ["If-Match": "1"]
            ).decode()
            #expect(saved.replyNotice == "Our team answers within a week.")
            #expect(saved.replyBusinessDays == 5)
        }
    }

    @Test func attachmentLimitsReachTheComposePageAndUploads() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            _ = try await admin.send(
                .PUT, "/admin/settings",
                json: Self.settingsBody(settings) {
                    $0["attachmentMaxFileBytes"] = 2_000_000
                    $0["attachmentTypes"] = ["application/pdf"]
                }, headers: ["If-Match": "1"])
            let organization = try await Organization.query(on: demo.app.db).first()!
            let entry = try await demo.app.organizations.entry(for: organization.id!, at: Date(), on: demo.app.db)
            #expect(entry?.settings.attachmentLimits.maxFileBytes == 2_000_000)
            #expect(entry?.settings.attachmentLimits.allowed == [.pdf])
            try await demo.browser.signIn("alex")
            let compose = try await demo.browser.get("/messages/new")
            #expect(compose.body.contains("2 MB"))
        }
    }

    @Test func badValuesAreRefusedNamingTheField() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            let cases: [(String, Any, String)] = [
                ("replyBusinessDays", 0, "replyBusinessDays"),
                ("replyBusinessDays", 31, "replyBusinessDays"),
                ("timeZone", "Mars/Olympus", "timeZone"),
                ("replyNotice", "", "replyNotice"),
                ("urgentNotice", String(repeating: "x", count: 501), "urgentNotice"),
                ("attachmentMaxFiles", 0, "attachmentMaxFiles"),
                ("attachmentMaxFileBytes", 30_000_000, "attachmentMaxMessageBytes"),
                ("attachmentTypes", ["image/svg+xml"], "attachmentTypes"),
                ("messagingAccountTypes", ["admin"], "messagingAccountTypes"),
            ]
            for (key, value, field) in cases {
                let reply = try await admin.send(
                    .PUT, "/admin/settings",
                    json: Self.settingsBody(settings) {
                        $0[key] = value
                        if key == "attachmentMaxFileBytes" { $0["attachmentMaxMessageBytes"] = 25_000_000 }
                    }, headers: ["If-Match": "1"])
                #expect(reply.status == .unprocessableEntity, "\(key)")
                if key == "attachmentMaxFileBytes" {
                    #expect(
                        ["attachmentMaxFileBytes", "attachmentMaxMessageBytes"].contains(reply.json["field"] as? String)
                    )
                } else {
                    #expect(reply.json["field"] as? String == field, "\(key)")
                }
            }
            let after: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            #expect(after == settings)
        }
    }

    @Test func anOrganizationInUTCKeepsItsZoneOnThePage() async throws {
        try await withDemoAPI { demo in
            let organization = try await Organization.query(on: demo.app.db).first()!
            organization.timeZone = "UTC"
            try await organization.save(on: demo.app.db)
            try await demo.browser.signIn("admin")
            let page = try await demo.browser.get("/administration/settings")
            #expect(page.body.contains("<option value=\"UTC\" selected>"))
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            let saved = try await admin.send(
                .PUT, "/admin/settings", json: Self.settingsBody(settings), headers: ["If-Match": "1"])
            #expect(saved.status == .ok)
        }
    }

    @Test func aStaleVersionIsRefusedAndAMissingIfMatchIsRequired() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            let body = Self.settingsBody(settings) { $0["replyBusinessDays"] = 4 }
            #expect(try await admin.send(.PUT, "/admin/settings", json: body).status == .preconditionRequired)
            #expect(try await admin.send(.PUT, "/admin/settings", json: body, headers: ["If-Match": "1"]).status == .ok)
            let stale = try await admin.send(
                .PUT, "/admin/settings", json: Self.settingsBody(settings) { $0["replyBusinessDays"] = 9 },
                headers: ["If-Match": "1"])
            #expect(stale.status == .conflict)
            #expect(try await admin.get("/admin/settings").decode(AdminSettingsResponse.self).replyBusinessDays == 4)
        }
    }

    @Test func twoAdministratorsSavingAtOnceCannotOverwriteEachOther() async throws {
        try await withDemoAPI { demo in
            let first = try await demo.client("admin")
            let second = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await first.get("/admin/settings").decode()
            async let one = first.send(
                .PUT, "/admin/settings", json: Self.settingsBody(settings) { $0["replyBusinessDays"] = 2 },
                headers: ["If-Match": "1"])
            async let two = second.send(
                .PUT, "/admin/settings", json: Self.settingsBody(settings) { $0["replyBusinessDays"] = 7 },
                headers: ["If-Match": "1"])
            let statuses = [try await one.status, try await two.status]
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 1)
            let after: AdminSettingsResponse = try await first.get("/admin/settings").decode()
            #expect(after.version == 2)
            #expect(after.replyBusinessDays == (statuses[0] == .ok ? 2 : 7))
        }
    }

    @Test func onlyAnAdministratorMayReadOrChangeSettings() async throws {
        try await withDemoAPI { demo in
            for username in ["alex", "jordan", "mchen", "ntorres"] {
                let client = try await demo.client(username)
                #expect(try await client.get("/admin/settings").status == .forbidden, "\(username)")
            }
            try await demo.browser.signIn("alex")
            #expect(try await demo.browser.get("/administration/settings").status == .forbidden)
        }
    }

    @Test func aChangeIsAuditedWithBeforeAndAfter() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let settings: AdminSettingsResponse = try await admin.get("/admin/settings").decode()
            _ = try await admin.send(
                .PUT, "/admin/settings", json: Self.settingsBody(settings) { $0["replyBusinessDays"] = 2 },
                headers: ["If-Match": "1"])
            let event = try await AuditEvent.query(on: demo.app.db).filter(\.$action == "admin.settings.update")
                .first()
            let change = AuditChange(json: event?.detail)
            #expect(event?.actorID == demo.user("admin"))
            #expect(change?.before?["reply_business_days"] == "3")
            #expect(change?.after?["reply_business_days"] == "2")
            #expect(change?.changedFields == ["reply_business_days", "reply_notice"])
        }
    }

    @Test func theSettingsPageSavesAndShowsFieldErrors() async throws {
        try await withDemoAPI { demo in
            try await demo.browser.signIn("admin")
            let page = try await demo.browser.get("/administration/settings")
            #expect(page.status == .ok)
            #expect(page.body.contains("Reply time (business days)"))
            var fields = [
                "version": "1", "messagingEnabled": "on", "account_patient": "on", "account_proxy": "on",
                "account_provider": "on", "account_staff": "on", "replyBusinessDays": "2",
                "timeZone": "America/Chicago",
                "replyNotice": "Remember to allow up to three business days for a response.",
                "urgentNotice": "Call 911 in an emergency.", "attachmentMaxFiles": "5",
                "attachmentMaxFileMegabytes": "10", "attachmentMaxMessageMegabytes": "25", "type_pdf": "on",
            ]
            let refused = try await demo.browser.post(
                "/administration/settings", fields.merging(["replyBusinessDays": "0"]) { $1 })
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("role=\"alert\""))
            #expect(refused.body.contains("The reply time must be 1 to 30 business days."))
            let saved = try await demo.browser.post("/administration/settings", fields)
            #expect(saved.status == .seeOther)
            let shown = try await demo.browser.get("/administration/settings")
            #expect(shown.body.contains("Remember to allow up to two business days for a response."))
            fields["version"] = "1"
            let stale = try await demo.browser.post("/administration/settings", fields)
            #expect(stale.status == .conflict)
        }
    }
}
