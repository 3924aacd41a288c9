import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The Notifications page and `/api/v1/notification-preferences`: each person's own address and choices.
@Suite struct NotificationPreferencesTests {
    @Test func thePageSavesAnAddressAndAChoiceAndRefusesABadAddressKeepingWhatWasTyped() async throws {
        try await withDemoAPI { demo in
            let browser = demo.browser
            try await browser.signIn("alex")
            let page = try await browser.get("/notifications")
            #expect(page.status == .ok)
            #expect(page.body.contains("value=\"alex@example.org\""))
            #expect(page.body.contains("value=\"immediately\" checked"))
            #expect(!page.body.contains("care_team_summary"), "a patient is not asked about care-team work")
            let version = try #require(try await User.find(demo.user("alex"), on: demo.app.db)?.version)

            let refused = try await browser.post(
                "/notifications", ["email": "alex at home", "new_messages": "off", "version": "\(version)"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("Enter an email address"))
            #expect(refused.body.contains("value=\"alex at home\""))
            #expect(try await User.find(demo.user("alex"), on: demo.app.db)?.email == "alex@example.org")

            let saved = try await browser.post(
                "/notifications",
                ["email": " alex.rivera@example.org ", "new_messages": "daily_summary", "version": "\(version)"])
            #expect(saved.location == "/notifications?saved=1")
            let alex = try #require(try await User.find(demo.user("alex"), on: demo.app.db))
            #expect(alex.email == "alex.rivera@example.org")
            #expect(alex.messageNotices == .dailySummary)

            let stale = try await browser.post(
                "/notifications", ["email": "", "new_messages": "off", "version": "\(version)"])
            #expect(stale.status == .conflict, "a form read before the last change is refused, not applied")
            #expect(try await User.find(demo.user("alex"), on: demo.app.db)?.messageNotices == .dailySummary)
        }
    }

    @Test func theAPIReadsAndChangesWithIfMatch() async throws {
        try await withDemoAPI { demo in
            let chen = try await demo.client("mchen")
            let read = try await chen.get("/notification-preferences")
            #expect(read.status == .ok)
            #expect(read.json["asksCareTeamSummary"] as? Bool == true)
            #expect(read.json["asksNewMessages"] as? Bool == false)
            #expect(read.json["careTeamSummary"] as? Bool == true)
            let etag = try #require(read.headers.first(name: .eTag))

            let missing = try await chen.send(.PUT, "/notification-preferences", json: ["careTeamSummary": false])
            #expect(missing.status == .preconditionRequired)
            let changed = try await chen.send(
                .PUT, "/notification-preferences", json: ["email": NSNull(), "careTeamSummary": false],
                headers: ["If-Match": etag])
            #expect(changed.status == .ok)
            #expect(changed.json["email"] is NSNull || changed.json["email"] == nil)
            #expect(changed.json["careTeamSummary"] as? Bool == false)
            let again = try await chen.send(
                .PUT, "/notification-preferences", json: ["careTeamSummary": true], headers: ["If-Match": etag])
            #expect(again.status == .conflict)

            let alex = try await demo.client("alex")
            let alexETag = try #require(try await alex.get("/notification-preferences").headers.first(name: .eTag))
            let wrong = try await alex.send(
                .PUT, "/notification-preferences", json: ["newMessages": "weekly"], headers: ["If-Match": alexETag])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.json["field"] as? String == "newMessages")
            let notCareTeam = try await alex.send(
                .PUT, "/notification-preferences", json: ["newMessages": "off", "careTeamSummary": true],
                headers: ["If-Match": alexETag])
            #expect(notCareTeam.json["field"] as? String == "careTeamSummary")
        }
    }
}
