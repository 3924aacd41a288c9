import Foundation
import Testing
import Vapor

@testable import App

/// The server answers as its OpenAPI document says, found by schemathesis against the served document (issue 12,
/// item 10; `scripts/schemathesis`). Every answer an `APIClient` gets is also checked against the document.
@Suite struct OpenAPIAgreementTests {
    /// `patient=` with no id was read as no parameter at all: the answer widened to every patient the caller acts for.
    @Test func anEmptyPatientIsRefusedAndNamed() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let type = demo.ids.types["General Message"]!
            for path in [
                "/conversations?patient=", "/drafts?patient=", "/unread-counts?patient=",
                "/recipients?type=\(type)&patient=",
            ] {
                let reply = try await alex.get(path)
                #expect(reply.status == .unprocessableEntity, "\(path)")
                #expect(reply.json["code"] as? String == "invalid_patient", "\(path)")
                #expect(reply.json["field"] as? String == "patient", "\(path)")
            }
        }
    }

    /// A method an API address does not take answered 404, as if the address did not exist (and TRACE 405 without
    /// saying what is allowed); now 405 with `Allow`, as RFC 9110 asks.
    @Test func aMethodAnAddressDoesNotTakeAnswers405WithAllow() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let conversation = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            let cases: [(HTTPMethod, String, String)] = [
                (.PUT, "/api/v1/message-types", "GET, HEAD"),
                (.DELETE, "/api/v1/conversations/\(conversation)", "GET, HEAD, PATCH"),
                (.DELETE, "/api/v1/conversations/\(UUID())", "GET, HEAD, PATCH"),
                (.OPTIONS, "/api/v1/drafts", "GET, HEAD, POST"),
                (.RAW(value: "QUERY"), "/api/v1/tokens", "GET, HEAD, POST"),
                (.TRACE, "/api/v1/acting-for", "GET, HEAD"),
            ]
            for (method, path, allowed) in cases {
                let page = try await demo.browser.raw(
                    method, path, body: nil, headers: ["Authorization": "Bearer \(alex.token!)"])
                #expect(page.status == .methodNotAllowed, "\(method) \(path)")
                #expect(page.headers.first(name: "Allow") == allowed, "\(method) \(path)")
            }
            let put = try await demo.browser.raw(
                .PUT, "/api/v1/message-types", body: nil, headers: ["Authorization": "Bearer \(alex.token!)"])
            #expect(put.headers.contentType?.subType == "problem+json")
            #expect(put.body.contains("method_not_allowed"))

            // An address no route takes is still 404, and a method it takes still works (HEAD as GET).
            let nowhere = try await demo.browser.raw(
                .PUT, "/api/v1/nothing-here", body: nil, headers: ["Authorization": "Bearer \(alex.token!)"])
            #expect(nowhere.status == .notFound)
            let head = try await demo.browser.raw(
                .HEAD, "/api/v1/message-types", body: nil, headers: ["Authorization": "Bearer \(alex.token!)"])
            #expect(head.status == .ok)
        }
    }

    /// An If-Match that is not a version was read as no If-Match: discarding a draft with `If-Match: latest` discarded
    /// it at any version.
    @Test func anUnreadableIfMatchIsRefusedNotIgnored() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let draft: DraftResponse = try await alex.send(.POST, "/drafts", json: ["subject": "Knee", "body": "Text"])
                .decode()
            for value in ["latest", "\"one\"", "*", "\"1", "-1"] {
                let discard = try await alex.send(.DELETE, "/drafts/\(draft.id)", headers: ["If-Match": value])
                #expect(discard.status == .unprocessableEntity, "\(value)")
                #expect(discard.json["code"] as? String == "invalid_if_match", "\(value)")
                #expect(discard.json["field"] as? String == "If-Match", "\(value)")
            }
            #expect(try await alex.get("/drafts/\(draft.id)").status == .ok)
            // The ETag as given, weak, or bare.
            #expect(
                try await alex.send(.DELETE, "/drafts/\(draft.id)", headers: ["If-Match": "W/\"9\""]).status
                    == .conflict)
            #expect(
                try await alex.send(.DELETE, "/drafts/\(draft.id)", headers: ["If-Match": "1"]).status == .noContent)
        }
    }

    /// The document requires If-Match to edit a conversation or save a draft; without it the answer was 404 for an id
    /// that names nothing, where 428 says what is wrong with the request itself.
    @Test func aChangeWithoutIfMatchIsRefusedWhateverItNames() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            for (method, path, json) in [
                (HTTPMethod.PUT, "/drafts/\(UUID())", ["body": "Text"]),
                (.PATCH, "/conversations/\(UUID())", ["subject": "Knee"]),
            ] {
                let reply = try await alex.send(method, path, json: json)
                #expect(reply.status == .preconditionRequired, "\(method) \(path)")
                #expect(reply.json["code"] as? String == "if_match_required", "\(method) \(path)")
            }
        }
    }

    /// A refusal names the field as the request spells it: `type` in the query of /recipients, `messageTypeId` in a
    /// JSON body (it said `message_type`, the web form's name).
    @Test func aRefusedMessageTypeIsNamedAsTheRequestSpellsIt() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            for path in ["/recipients", "/recipients?type=\(UUID())"] {
                let reply = try await alex.get(path)
                #expect(reply.status == .unprocessableEntity, "\(path)")
                #expect(reply.json["field"] as? String == "type", "\(path)")
            }
            var start = demo.ids.start("General Message", to: demo.ids.provider("mchen"))
            start["messageTypeId"] = UUID().uuidString
            for path in ["/conversations", "/drafts"] {
                let reply = try await alex.send(.POST, path, json: start)
                #expect(reply.status == .unprocessableEntity, "\(path)")
                #expect(reply.json["code"] as? String == "unknown_message_type", "\(path)")
                #expect(reply.json["field"] as? String == "messageTypeId", "\(path)")
            }
        }
    }

    /// A reply draft took its patient from `patientId`, or else from its writer: one naming another id failed with a
    /// 500 (or belonged to the wrong patient), and a nurse's reply drafts were filed under the nurse.
    @Test func aReplyDraftIsTheConversationsPatients() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let torres = try await demo.client("ntorres")
            let triage = demo.ids.start("Medical Question", to: demo.ids.pool("Nurse Triage"))
            let (first, second) = (try await alex.start(triage), try await alex.start(triage))
            let named = try await torres.send(
                .POST, "/drafts",
                json: ["conversationId": first.uuidString, "patientId": UUID().uuidString, "body": "Call us"])
            #expect(named.status == .created)
            #expect(try named.decode(DraftResponse.self).patientId == demo.user("alex"))
            let unnamed = try await torres.send(
                .POST, "/drafts", json: ["conversationId": second.uuidString, "body": "Call us"])
            #expect(try unnamed.decode(DraftResponse.self).patientId == demo.user("alex"))
        }
    }

    /// A second reply draft in the same conversation broke a unique constraint and answered 500.
    @Test func aSecondReplyDraftInAConversationIsAConflict() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let id = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            let reply = ["conversationId": id.uuidString, "body": "One more thing"]
            #expect(try await alex.send(.POST, "/drafts", json: reply).status == .created)
            let again = try await alex.send(.POST, "/drafts", json: reply)
            #expect(again.status == .conflict)
            #expect(again.json["code"] as? String == "reply_draft_exists")
            #expect(try await alex.get("/drafts").decode(DraftPageResponse.self).items.count == 1)
        }
    }

    /// A reply draft keeps no subject, so one too long was accepted and dropped, where the document refuses it.
    @Test func aReplyDraftsSubjectIsCheckedLikeAnyField() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let id = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            let draft = try await alex.send(
                .POST, "/drafts",
                json: ["conversationId": id.uuidString, "subject": String(repeating: "a", count: 201), "body": "Hi"])
            #expect(draft.status == .unprocessableEntity)
            #expect(draft.json["code"] as? String == "subject_too_long")
        }
    }

    /// Answers the document did not list: 415 for a body that is not JSON, and the 413 over 1 MB. `APIClient` checks
    /// each against the document.
    @Test func aBodyThatIsNotJSONIsAnsweredAsDocumented() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let xml = try await alex.sendBytes(
                .POST, "/tokens", bytes: Array("<name>laptop</name>".utf8), headers: ["Content-Type": "application/xml"]
            )
            #expect(xml.status == .unsupportedMediaType)
            #expect(xml.headers.contentType?.subType == "problem+json")
            let none = try await alex.sendBytes(.POST, "/drafts", bytes: nil)
            #expect(none.status == .unsupportedMediaType)
            let huge = try await alex.send(
                .POST, "/drafts", json: ["body": String(repeating: "a", count: 1_100_000)])
            #expect(huge.status == .payloadTooLarge)
        }
    }
}
