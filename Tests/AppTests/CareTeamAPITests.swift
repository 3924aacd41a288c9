import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The care team's side through the API, with the demo's people, over real HTTP.
@Suite struct CareTeamAPITests {
    /// Wednesday 25 November 2026, 9 am in Chicago.
    static let wednesdayMorning = ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!

    func withCareTeam(
        clock: ManualClock = ManualClock(Self.wednesdayMorning),
        _ body: (Application, DemoIDs, (String) async throws -> APIClient) async throws -> Void
    ) async throws {
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                try await body(app, ids) { try await APIClient.signedIn($0, app: app, browser: browser) }
            }
        }
    }

    @Test func nurseTriageClaimsRepliesAndMarksDoneAndAlexSeesItAll() async throws {
        let clock = ManualClock(Self.wednesdayMorning)
        try await withCareTeam(clock: clock) { _, ids, client in
            let alex = try await client("alex")
            let asked: ConversationResponse = try await alex.send(
                .POST, "/conversations",
                json: ids.start("Medical Question", to: ids.pool("Nurse Triage"), subject: "Rash", body: "Itchy rash")
            ).decode()
            let id = asked.conversation.id

            let torres = try await client("ntorres")
            let basket: CareTeamWork.InBasketResponse = try await torres.get(
                "/in-basket?filter=pool:\(ids.pools["Nurse Triage"]!)"
            ).decode()
            #expect(basket.items.map(\.id) == [id])
            #expect(basket.items[0].patientBirthDate == "1988-04-12")
            #expect(basket.items[0].expectedReplyBy == "2026-12-01")
            #expect(basket.counts.first { $0.label == "Nurse Triage" }?.count == 1)
            #expect(basket.counts.first { $0.label == "Unread" }?.count == 1)

            clock.advance(by: 600)
            let opened: ConversationResponse = try await torres.get("/conversations/\(id)").decode()
            #expect(opened.messages.map(\.bodyText) == ["Itchy rash"])
            let claimed: ConversationResponse = try await torres.send(.POST, "/conversations/\(id)/claim").decode()
            #expect(claimed.conversation.assignee?.name == "Nina Torres, RN")
            clock.advance(by: 600)
            _ = try await torres.send(.POST, "/conversations/\(id)/messages", json: ["body": "Try a cool compress."])
            let done: ConversationResponse = try await torres.send(.POST, "/conversations/\(id)/done").decode()
            #expect(done.conversation.status == "closed")
            let doneList: CareTeamWork.InBasketResponse = try await torres.get("/in-basket?filter=done").decode()
            #expect(doneList.items.map(\.id) == [id])

            let counts: UnreadCountsResponse = try await alex.get("/unread-counts").decode()
            #expect(counts.inbox == 1)
            let seen: ConversationResponse = try await alex.get("/conversations/\(id)").decode()
            #expect(seen.messages.map(\.byline) == ["Alex Rivera", "Nina Torres, RN"])
            #expect(seen.conversation.readByCareTeamAt == ISO8601DateFormatter().date(from: "2026-11-25T15:10:00Z"))

            // A patient's reply to a Done conversation reopens it.
            clock.advance(by: 600)
            _ = try await alex.send(.POST, "/conversations/\(id)/messages", json: ["body": "Thanks, it helped"])
            let reopened: ConversationResponse = try await torres.get("/conversations/\(id)").decode()
            #expect(reopened.conversation.status == "open")
        }
    }

    @Test func drChenNeverSeesAPoolConversationNotAssignedOrAddressedToHer() async throws {
        try await withCareTeam { _, ids, client in
            let alex = try await client("alex")
            let asked: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("Appointment Request", to: ids.pool("Nurse Triage"))
            ).decode()
            let chen = try await client("mchen")
            let basket: CareTeamWork.InBasketResponse = try await chen.get("/in-basket").decode()
            #expect(basket.items.isEmpty)
            #expect(try await chen.get("/conversations/\(asked.conversation.id)").status == .notFound)

            // Assigned to her, she sees it.
            let torres = try await client("ntorres")
            let assignees: [PersonResponse] = try await torres.get("/conversations/\(asked.conversation.id)/assignees")
                .decode()
            #expect(assignees.map(\.name).contains("Dr. Maya Chen"))
            #expect(!assignees.map(\.name).contains("Dr. Lena Park"))
            let assigned = try await torres.send(
                .POST, "/conversations/\(asked.conversation.id)/assign",
                json: ["assigneeId": ids.users["mchen"]!.uuidString])
            #expect(assigned.status == .ok)
            let mine: CareTeamWork.InBasketResponse = try await chen.get("/in-basket?filter=assigned").decode()
            #expect(mine.items.map(\.id) == [asked.conversation.id])

            let notEligible = try await torres.send(
                .POST, "/conversations/\(asked.conversation.id)/assign",
                json: ["assigneeId": ids.users["lpark"]!.uuidString])
            #expect(notEligible.status == .unprocessableEntity)
            #expect(notEligible.json["field"] as? String == "assigneeId")
        }
    }

    @Test func benOkaforSeesBillingOfficeConversationsOnly() async throws {
        try await withCareTeam { _, ids, client in
            let alex = try await client("alex")
            let billing: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("Billing Question", to: ids.pool("Billing Office"))
            ).decode()
            _ = try await alex.send(
                .POST, "/conversations", json: ids.start("Medical Question", to: ids.pool("Nurse Triage")))
            _ = try await alex.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("mchen")))
            let okafor = try await client("bokafor")
            let basket: CareTeamWork.InBasketResponse = try await okafor.get("/in-basket").decode()
            #expect(basket.items.map(\.id) == [billing.conversation.id])
            let listed: ConversationPageResponse = try await okafor.get("/conversations").decode()
            #expect(listed.items.map(\.id) == [billing.conversation.id])
            #expect(try await okafor.get("/in-basket?filter=pool:\(ids.pools["Nurse Triage"]!)").status == .notFound)
        }
    }

    @Test func aMessageSentOnWednesdayIsDueTuesdayAndOverdueAfterwards() async throws {
        let clock = ManualClock(Self.wednesdayMorning)
        try await withCareTeam(clock: clock) { _, ids, client in
            let alex = try await client("alex")
            let asked: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("Medical Question", to: ids.pool("Nurse Triage"))
            ).decode()
            #expect(asked.conversation.expectedReplyBy == "2026-12-01")
            let torres = try await client("ntorres")

            clock.advance(by: 6 * 86_400)  // Tuesday 1 December, 9 am: due today, not yet overdue
            var overdue: CareTeamWork.InBasketResponse = try await torres.get("/in-basket?filter=overdue").decode()
            #expect(overdue.items.isEmpty)

            clock.advance(by: 86_400)  // Wednesday 2 December
            overdue = try await torres.get("/in-basket?filter=overdue").decode()
            #expect(overdue.items.map(\.id) == [asked.conversation.id])
            #expect(overdue.items.first?.overdue == true)

            // Overdue items come first in the In Basket.
            _ = try await alex.send(
                .POST, "/conversations", json: ids.start("Appointment Request", to: ids.pool("Nurse Triage")))
            let open: CareTeamWork.InBasketResponse = try await torres.get("/in-basket").decode()
            #expect(open.items.first?.id == asked.conversation.id)

            // A care-team reply ends it.
            _ = try await torres.send(
                .POST, "/conversations/\(asked.conversation.id)/messages", json: ["body": "On it"])
            overdue = try await torres.get("/in-basket?filter=overdue").decode()
            #expect(overdue.items.isEmpty)
        }
    }

    @Test func drChenWritesToSamAndJordanAnswersOnSamsBehalf() async throws {
        try await withCareTeam { _, ids, client in
            let chen = try await client("mchen")
            let started = try await chen.send(
                .POST, "/conversations",
                json: ids.start(
                    "General Message", to: ids.provider("mchen"), subject: "Vaccines", body: "Sam is due for vaccines.",
                    patient: "Sam Rivera"))
            #expect(started.status == .created)
            let id = try started.decode(ConversationResponse.self).conversation.id

            let jordan = try await client("jordan")
            let inbox: ConversationPageResponse = try await jordan.get(
                "/conversations?patient=\(ids.users["Sam Rivera"]!)"
            )
            .decode()
            #expect(inbox.items.map(\.id) == [id])
            let answered = try await jordan.send(
                .POST, "/conversations/\(id)/messages", json: ["body": "We'll book it."])
            #expect(try answered.decode(MessageResponse.self).byline == "Jordan Rivera on behalf of Sam Rivera")

            // Dr. Park has no relationship with Sam, and Nurse Triage writes only from the pool.
            let park = try await client("lpark")
            let refused = try await park.send(
                .POST, "/conversations",
                json: ids.start("General Message", to: ids.provider("lpark"), patient: "Sam Rivera"))
            #expect(refused.status == .unprocessableEntity)
            let torres = try await client("ntorres")
            let fromPool = try await torres.send(
                .POST, "/conversations",
                json: ids.start("Appointment Request", to: ids.pool("Nurse Triage"), patient: "Sam Rivera"))
            #expect(fromPool.status == .created)

            // What the care team wrote is theirs, not unassigned work in the Open queue: Sam's answer comes back to them.
            let poolID = try fromPool.decode(ConversationResponse.self).conversation.id
            let torresOpen: CareTeamWork.InBasketResponse = try await torres.get("/in-basket?filter=open").decode()
            #expect(torresOpen.items.first { $0.id == poolID }?.assignee?.name == "Nina Torres, RN")
            let chenOpen: CareTeamWork.InBasketResponse = try await chen.get("/in-basket?filter=open").decode()
            #expect(chenOpen.items.first { $0.id == id }?.assignee?.name == "Dr. Maya Chen")
            let torresMine: CareTeamWork.InBasketResponse = try await torres.get("/in-basket?filter=assigned").decode()
            #expect(torresMine.items.map(\.id).contains(poolID))
        }
    }

    @Test func aPatientCannotReplyOnceTheCareRelationshipHasEnded() async throws {
        try await withCareTeam { app, ids, client in
            let alex = try await client("alex")
            let asked: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("ohaddad"))
            ).decode()
            let relationship = try await CareRelationship.query(on: app.db)
                .filter(\.$patient.$id == ids.users["alex"]!).filter(\.$provider.$id == ids.users["ohaddad"]!).first()!
            relationship.activeUntil = "2026-11-24"
            try await relationship.save(on: app.db)

            let reply = try await alex.send(
                .POST, "/conversations/\(asked.conversation.id)/messages", json: ["body": "Hi"])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.json["code"] as? String == "care_relationship_ended")
            #expect((reply.json["detail"] as? String)?.hasSuffix("call the provider's office.") == true)
        }
    }

    /// (actor, in-basket, claim, assignees, done, reopen) on Alex's conversation with Nurse Triage
    @Test(arguments: [
        ("alex", [UInt(404), 403, 403, 403, 403]), ("jordan", [404, 403, 403, 403, 403]),
        ("ntorres", [200, 200, 200, 200, 200]), ("bokafor", [200, 404, 404, 404, 404]),
        ("mchen", [200, 404, 404, 404, 404]), ("admin", [404, 404, 404, 404, 404]), ("", [401, 401, 401, 401, 401]),
    ])
    func careTeamRoutesByActor(username: String, expected: [UInt]) async throws {
        try await withCareTeam { app, ids, client in
            let alex = try await client("alex")
            let asked: ConversationResponse = try await alex.send(
                .POST, "/conversations",
                json: ids.start("Medical Question", to: ids.pool("Nurse Triage"), subject: "ZZSECRET")
            ).decode()
            let id = asked.conversation.id
            let api = username.isEmpty ? APIClient(browser: alex.browser, token: nil) : try await client(username)
            let replies = [
                try await api.get("/in-basket"), try await api.send(.POST, "/conversations/\(id)/claim"),
                try await api.get("/conversations/\(id)/assignees"),
                try await api.send(.POST, "/conversations/\(id)/done"),
                try await api.send(.POST, "/conversations/\(id)/reopen"),
            ]
            #expect(replies.map(\.status.code) == expected)
            for reply in replies where reply.status.code >= 400 { #expect(!reply.body.contains("ZZSECRET")) }
            let assign = try await api.send(
                .POST, "/conversations/\(id)/assign", json: ["assigneeId": ids.users["ntorres"]!.uuidString])
            #expect(assign.status.code == expected[1])
        }
    }
}
