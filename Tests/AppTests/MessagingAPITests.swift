import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// The messaging API as the demo's people use it, over real HTTP.
@Suite struct MessagingAPITests {
    /// Wednesday 25 November 2026, 9 am in Chicago: the day before Thanksgiving.
    static let wednesdayMorning = ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!

    func withAPI(
        _ body: (Application, TestBrowser, DemoIDs, (String) async throws -> APIClient) async throws -> Void
    ) async throws {
        try await withDemo(clock: ManualClock(Self.wednesdayMorning)) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                try await body(app, browser, ids) { try await APIClient.signedIn($0, app: app, browser: browser) }
            }
        }
    }

    @Test func lenaParkIsNeverOfferedAndASendToHerIsRefusedWithTheExplanation() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            for type in ids.types.values {
                let offered = try await alex.get("/recipients?type=\(type)")
                #expect(offered.status == .ok)
                #expect(!offered.body.contains(ids.users["lpark"]!.uuidString))
                #expect(!offered.body.contains("Lena Park"))
            }
            let send = try await alex.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("lpark")))
            #expect(send.status == .unprocessableEntity)
            #expect(send.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
            #expect(send.json["code"] as? String == "recipient_not_eligible")
            #expect(send.json["field"] as? String == "recipient")
            #expect((send.json["detail"] as? String)?.hasSuffix("call the provider's office.") == true)
            #expect(try await Conversation.query(on: app.db).count() == 0)
            #expect(try await AuditEvent.query(on: app.db).count() == 0)
        }
    }

    @Test func aConfidentialGeneralMessageToDrChenIsSentDueAfterThanksgivingAndInvisibleToJordan() async throws {
        try await withAPI { _, _, ids, client in
            let alex = try await client("alex")
            let sent = try await alex.send(
                .POST, "/conversations",
                json: ids.start(
                    "General Message", to: ids.provider("mchen"), confidential: true, body: "Private ZZSECRET"))
            #expect(sent.status == .created)
            let conversation: ConversationResponse = try sent.decode()
            #expect(conversation.conversation.subject == nil)
            #expect(conversation.conversation.title == "General Message")
            #expect(conversation.conversation.confidential)
            #expect(conversation.conversation.expectedReplyBy == "2026-12-01")
            #expect(conversation.expectedReplyNotice == "You can expect a reply by Tuesday, December 1, 2026.")
            #expect(conversation.messages.map(\.byline) == ["Alex Rivera"])
            let id = conversation.conversation.id

            let jordan = try await client("jordan")
            for folder in ["inbox", "sent", "archived"] {
                let list = try await jordan.get("/conversations?folder=\(folder)")
                #expect(list.status == .ok)
                #expect(!list.body.contains(id.uuidString))
                let forAlex = try await jordan.get("/conversations?folder=\(folder)&patient=\(ids.users["alex"]!)")
                #expect(!forAlex.body.contains(id.uuidString))
            }
            let read = try await jordan.get("/conversations/\(id)")
            #expect(read.status == .notFound)
            #expect(!read.body.contains("ZZSECRET"))
            let counts: UnreadCountsResponse = try await jordan.get("/unread-counts?patient=\(ids.users["alex"]!)")
                .decode()
            #expect(counts.inbox == 0 && counts.archived == 0)
            let reply = try await jordan.send(.POST, "/conversations/\(id)/messages", json: ["body": "Let me in"])
            #expect(reply.status == .notFound)

            // Dr. Chen, the recipient, sees it and it is unread for her.
            let chen = try await client("mchen")
            let inbox: ConversationPageResponse = try await chen.get("/conversations").decode()
            #expect(inbox.items.map(\.id) == [id])
            #expect(inbox.items.first?.unread == true)
        }
    }

    @Test func aProxyWritesOnBehalfOfThePatient() async throws {
        try await withAPI { _, _, ids, client in
            let jordan = try await client("jordan")
            let actingFor: [ActingForResponse] = try await jordan.get("/acting-for").decode()
            #expect(actingFor.map(\.patient.name) == ["Jordan Rivera", "Alex Rivera", "Sam Rivera"])
            let sent = try await jordan.send(
                .POST, "/conversations",
                json: ids.start(
                    "General Message", to: ids.provider("mchen"), body: "Sam has a fever", patient: "Sam Rivera"))
            #expect(sent.status == .created)
            let conversation: ConversationResponse = try sent.decode()
            #expect(conversation.messages.first?.byline == "Jordan Rivera on behalf of Sam Rivera")
            #expect(conversation.conversation.patient.name == "Sam Rivera")

            let confidential = try await jordan.send(
                .POST, "/conversations",
                json: ids.start("General Message", to: ids.provider("mchen"), confidential: true, patient: "Sam Rivera")
            )
            #expect(confidential.status == .unprocessableEntity)
            #expect(confidential.json["field"] as? String == "confidential")
        }
    }

    @Test func retryingASendWithTheSameIdempotencyKeyMakesOneMessage() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            let start = ids.start("General Message", to: ids.provider("mchen"))
            let first = try await alex.send(
                .POST, "/conversations", json: start, headers: ["Idempotency-Key": "start-1"])
            let again = try await alex.send(
                .POST, "/conversations", json: start, headers: ["Idempotency-Key": "start-1"])
            #expect(first.status == .created)
            #expect(again.status == .ok)
            let id = try first.decode(ConversationResponse.self).conversation.id
            #expect(try again.decode(ConversationResponse.self).conversation.id == id)

            let reply = ["body": "One more thing"]
            let r1 = try await alex.send(
                .POST, "/conversations/\(id)/messages", json: reply, headers: ["Idempotency-Key": "r-1"])
            let r2 = try await alex.send(
                .POST, "/conversations/\(id)/messages", json: reply, headers: ["Idempotency-Key": "r-1"])
            #expect(r1.status == .created)
            #expect(r2.status == .ok)
            #expect(try r1.decode(MessageResponse.self).id == r2.decode(MessageResponse.self).id)
            #expect(try await Conversation.query(on: app.db).count() == 1)
            #expect(try await Message.query(on: app.db).count() == 2)
        }
    }

    @Test func theSecondOfTwoSavesOfOneDraftVersionIsRefused() async throws {
        try await withAPI { _, _, ids, client in
            let alex = try await client("alex")
            let created = try await alex.send(
                .POST, "/drafts", json: ["messageTypeId": ids.types["General Message"]!.uuidString, "body": "Dear Dr."])
            #expect(created.status == .created)
            #expect(created.headers.first(name: .eTag) == "\"1\"")
            let draft: DraftResponse = try created.decode()

            let first = try await alex.send(
                .PUT, "/drafts/\(draft.id)", json: ["body": "Dear Dr. Chen"], headers: ["If-Match": "\"1\""])
            let second = try await alex.send(
                .PUT, "/drafts/\(draft.id)", json: ["body": "Dear Doctor"], headers: ["If-Match": "\"1\""])
            #expect(first.status == .ok)
            #expect(second.status == .conflict)
            #expect(second.json["code"] as? String == "version_conflict")
            let kept: DraftResponse = try await alex.get("/drafts/\(draft.id)").decode()
            #expect(kept.body?.plainText == "Dear Dr. Chen")
            #expect(kept.version == 2)
        }
    }

    @Test func anEmptyDraftIsNotKeptAndADraftCanBeDiscarded() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            let empty = try await alex.send(
                .POST, "/drafts", json: ["messageTypeId": ids.types["General Message"]!.uuidString, "body": "  "])
            #expect(empty.status == .noContent)
            let draft: DraftResponse = try await alex.send(.POST, "/drafts", json: ["subject": "Refill"]).decode()
            let discard = try await alex.send(.DELETE, "/drafts/\(draft.id)", headers: ["If-Match": "\"1\""])
            #expect(discard.status == .noContent)
            #expect(try await Draft.query(on: app.db).count() == 0)
        }
    }

    @Test func sendingADraftTwiceAtTheSameMomentSendsItOnce() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            let draft: DraftResponse = try await alex.send(
                .POST, "/drafts",
                json: [
                    "messageTypeId": ids.types["General Message"]!.uuidString, "recipient": ids.provider("mchen"),
                    "subject": "Knee", "body": "It hurts",
                ]
            ).decode()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await alex.send(.POST, "/drafts/\(draft.id)/send").status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // The second answers as a retry would: with the conversation the first made (docs/api.md).
            #expect(statuses.sorted { $0.code < $1.code } == [.ok, .created])
            #expect(try await Conversation.query(on: app.db).count() == 1)
            #expect(try await Message.query(on: app.db).count() == 1)
            #expect(try await Draft.query(on: app.db).count() == 0)
        }
    }

    @Test func sixteenConcurrentSendsAllSucceed() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            let started: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("mchen"))
            ).decode()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        try await alex.send(
                            .POST, "/conversations/\(started.conversation.id)/messages",
                            json: ["body": "Reply \(index)"],
                            headers: ["Idempotency-Key": "concurrent-\(index)"]
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .created, count: 16))
            #expect(try await Message.query(on: app.db).count() == 17)
            #expect(try await AuditLog.verify(on: app.db) == .intact(events: 17))
        }
    }

    @Test func editingDetailsRecordsEventsAndRefusesAStaleVersion() async throws {
        try await withAPI { _, _, ids, client in
            let alex = try await client("alex")
            let started: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "Knee")
            ).decode()
            let id = started.conversation.id
            let missing = try await alex.send(.PATCH, "/conversations/\(id)", json: ["subject": "Left knee"])
            #expect(missing.status == .preconditionRequired)
            let edited = try await alex.send(
                .PATCH, "/conversations/\(id)", json: ["subject": "Left knee", "recipient": ids.pool("Nurse Triage")],
                headers: ["If-Match": "\"1\""])
            #expect(edited.status == .ok)
            let after: ConversationResponse = try edited.decode()
            #expect(after.version == 2)
            #expect(after.conversation.title == "Left knee")
            #expect(
                after.events.map(\.summary) == [
                    "Subject changed from “Knee” to “Left knee” by Alex Rivera",
                    "Recipient changed from Dr. Maya Chen to Nurse Triage by Alex Rivera",
                ])
            let stale = try await alex.send(
                .PATCH, "/conversations/\(id)", json: ["subject": "Right knee"], headers: ["If-Match": "\"1\""])
            #expect(stale.status == .conflict)
            let ineligible = try await alex.send(
                .PATCH, "/conversations/\(id)", json: ["recipient": ids.provider("lpark")],
                headers: ["If-Match": "\"2\""])
            #expect(ineligible.status == .unprocessableEntity)
            #expect(ineligible.json["code"] as? String == "recipient_not_eligible")
        }
    }

    @Test func everyContentReadAndWriteIsAuditedAndTamperingBreaksTheChain() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            let started: ConversationResponse = try await alex.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("mchen"))
            ).decode()
            let id = started.conversation.id
            _ = try await alex.get("/conversations/\(id)")
            _ = try await alex.send(.POST, "/conversations/\(id)/messages", json: ["body": "More"])
            _ = try await alex.send(
                .PATCH, "/conversations/\(id)", json: ["subject": "New"], headers: ["If-Match": "\"1\""])
            let draft: DraftResponse = try await alex.send(.POST, "/drafts", json: ["subject": "Later"]).decode()
            _ = try await alex.get("/drafts/\(draft.id)")

            let actions = try await AuditEvent.query(on: app.db).sort(\.$sequence).all(\.$action)
            #expect(
                actions == [
                    "conversation.start", "conversation.read", "message.send", "conversation.edit", "draft.save",
                    "draft.read",
                ])
            #expect(try await AuditLog.verify(on: app.db) == .intact(events: 6))

            let sql = app.db.sql()
            await #expect(throws: (any Error).self) {
                try await sql.raw("UPDATE audit_events SET action = 'nothing' WHERE sequence = 2").run()
            }
            await #expect(throws: (any Error).self) {
                try await sql.raw("DELETE FROM audit_events WHERE sequence = 2").run()
            }
            // Someone with the database's owner rights removes the guard and alters a row.
            try await AuditQueries.removeAppendOnlyGuards(on: sql)
            try await sql.raw("UPDATE audit_events SET outcome = 'failure' WHERE sequence = 3").run()
            #expect(try await AuditLog.verify(on: app.db) == .broken(atSequence: 3))
        }
    }

    @Test func theOpenAPIDocumentDescribesEveryRoute() async throws {
        try await withAPI { app, browser, _, _ in
            let document = try await browser.get("/api/v1/openapi.json")
            #expect(document.status == .ok)
            let json = try JSONSerialization.jsonObject(with: Data(document.body.utf8)) as? [String: Any]
            #expect(json?["openapi"] as? String == "3.1.0")
            let paths = (json?["paths"] as? [String: [String: Any]]) ?? [:]
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) /api/v1\(path)") }
            }
            let served = Set(
                app.routes.all.map { route in
                    "\(route.method.rawValue) /"
                        + route.path.map { component -> String in
                            if case .parameter(let name) = component { return "{\(name)}" }
                            return component.description
                        }.joined(separator: "/")
                }.filter { $0.contains(" /api/v1/") && !$0.hasSuffix("/openapi.json") })
            #expect(served == documented)
        }
    }

    @Test func aMessageAtTheLengthLimitIsAcceptedAndOneOverIsRefused() async throws {
        try await withAPI { app, _, ids, client in
            let alex = try await client("alex")
            let longest = String(repeating: "a", count: 20_000)
            let accepted = try await alex.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("mchen"), body: longest))
            #expect(accepted.status == .created)
            let refused = try await alex.send(
                .POST, "/conversations",
                json: ids.start("General Message", to: ids.provider("mchen"), body: longest + "a"))
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.json["field"] as? String == "body")
            #expect(try await Conversation.query(on: app.db).count() == 1)
        }
    }

    @Test func foldersPageWithACursorNewestFirst() async throws {
        let clock = ManualClock(Self.wednesdayMorning)
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                var started: [UUID] = []
                for subject in ["First", "Second", "Third"] {
                    clock.advance(by: 60)
                    let conversation: ConversationResponse = try await alex.send(
                        .POST, "/conversations",
                        json: ids.start("General Message", to: ids.provider("mchen"), subject: subject)
                    ).decode()
                    started.append(conversation.conversation.id)
                }
                let first: ConversationPageResponse = try await alex.get("/conversations?folder=sent&limit=2").decode()
                #expect(first.items.map(\.id) == [started[2], started[1]])
                let cursor = try #require(first.nextCursor)
                let second: ConversationPageResponse = try await alex.get(
                    "/conversations?folder=sent&limit=2&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                ).decode()
                #expect(second.items.map(\.id) == [started[0]])
                #expect(second.nextCursor == nil)
                let bad = try await alex.get("/conversations?cursor=not-a-cursor")
                #expect(bad.status == .unprocessableEntity)
                #expect(bad.json["field"] as? String == "cursor")
            }
        }
    }
}

/// An Idempotency-Key names one request: the same key with a different request is refused, not answered with the
/// first message (which would lose the second without a word). Issue 12, item 6.
@Suite struct IdempotencyKeyReuseTests {
    @Test func theSameKeyWithAnotherBodyIsRefusedAndTheSameBodyIsARetry() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let start = demo.ids.start("General Message", to: demo.ids.provider("mchen"), body: "First")
            let first = try await alex.send(.POST, "/conversations", json: start, headers: ["Idempotency-Key": "k-1"])
            #expect(first.status == .created)
            let retry = try await alex.send(.POST, "/conversations", json: start, headers: ["Idempotency-Key": "k-1"])
            #expect(retry.status == .ok)
            var other = start
            other["body"] = "Second, different"
            let reused = try await alex.send(.POST, "/conversations", json: other, headers: ["Idempotency-Key": "k-1"])
            #expect(reused.status == .unprocessableEntity)
            #expect(reused.json["code"] as? String == "idempotency_key_reused")

            let id = try first.decode(ConversationResponse.self).conversation.id
            let reply = ["body": "A reply"]
            let sent = try await alex.send(
                .POST, "/conversations/\(id)/messages", json: reply, headers: ["Idempotency-Key": "r-1"])
            #expect(sent.status == .created)
            let again = try await alex.send(
                .POST, "/conversations/\(id)/messages", json: reply, headers: ["Idempotency-Key": "r-1"])
            #expect(again.status == .ok)
            let changed = try await alex.send(
                .POST, "/conversations/\(id)/messages", json: ["body": "Another"], headers: ["Idempotency-Key": "r-1"])
            #expect(changed.status == .unprocessableEntity)
            #expect(changed.json["code"] as? String == "idempotency_key_reused")
            #expect(try await Message.query(on: demo.app.db).count() == 2)
        }
    }
}
