import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Bad input is refused with 422 and the field named, before anything is stored (issue 12, items 5 and 8).
@Suite struct InputRefusalTests {
    /// `"Confidential": true` (capital C) used to make an open conversation that a proxy could read.
    @Test func aFieldTheRequestDoesNotHaveIsRefusedAndNamed() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let start: [String: Any] = [
                "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                "recipient": demo.ids.provider("mchen"), "subject": "Private", "body": "Only for Dr Chen",
            ]
            let cases: [(path: String, json: [String: Any], field: String)] = [
                ("/conversations", start.merging(["Confidential": true]) { $1 }, "Confidential"),
                (
                    "/conversations", start.merging(["recipient": ["type": "provider", "idd": "x"]]) { $1 },
                    "recipient.idd"
                ),
                (
                    "/conversations",
                    start.merging(["body": ["type": "doc", "content": [], "colour": "red"]]) { $1 }, "body.colour"
                ),
                ("/drafts", start.merging(["sendAt": "tomorrow"]) { $1 }, "sendAt"),
                ("/tokens", ["name": "laptop", "scope": "admin"], "scope"),
            ]
            for (path, json, field) in cases {
                let reply = try await alex.send(.POST, path, json: json)
                #expect(reply.status == .unprocessableEntity, "\(path) \(field)")
                #expect(reply.json["code"] as? String == "unknown_field", "\(path) \(field)")
                #expect(reply.json["field"] as? String == field, "\(path)")
            }
            #expect(try await alex.folder("sent").isEmpty)
            #expect(try await alex.get("/drafts").decode(DraftPageResponse.self).items.isEmpty)

            // The same request, spelt right, is taken.
            #expect(try await alex.send(.POST, "/conversations", json: start).status == .created)
        }
    }

    /// PostgreSQL refused a NUL with a 500 where SQLite stored it; now both refuse every control character but tab
    /// and line breaks, in JSON, forms, multipart forms and query strings.
    @Test(arguments: ["\u{0}", "\u{1}", "\u{1B}[31m", "\u{7F}", "\u{85}"])
    func aControlCharacterIsRefusedWhereverTextComesIn(character: String) async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let token = try await alex.send(.POST, "/tokens", json: ["name": "lap\(character)top"])
            #expect(token.status == .unprocessableEntity)
            #expect(token.json["field"] as? String == "name")

            let start = try await alex.send(
                .POST, "/conversations",
                json: [
                    "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                    "recipient": demo.ids.provider("mchen"), "subject": "Hi\(character)", "body": "Text",
                ])
            #expect(start.status == .unprocessableEntity)
            #expect(start.json["field"] as? String == "subject")
            #expect(try await alex.folder("sent").isEmpty)

            let query = character.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let listed = try await alex.get("/conversations?folder=inbox\(query)")
            #expect(listed.status == .unprocessableEntity)
            #expect(listed.json["field"] as? String == "folder")

            let browser = demo.browser.newWindow()
            _ = try await browser.get("/sign-in")
            let signIn = try await browser.post("/sign-in", ["username": "alex\(character)", "password": "x"])
            #expect(signIn.status == .unprocessableEntity)
            #expect(signIn.body.contains("control character"))

            try await browser.signIn("alex")
            let csrf = browser.csrfToken
            let boundary = "carebox-test-boundary"
            let fields = [
                CSRFMiddleware.formField: csrf, "message_type": demo.ids.types["General Message"]!.uuidString,
                "subject": "Form\(character)", "body_text": "Hello", "action": "send",
            ]
            var multipart = ""
            for (name, value) in fields {
                multipart += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
            }
            multipart += "--\(boundary)--\r\n"
            let compose = try await browser.raw(
                .POST, "/messages", body: multipart,
                headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
            #expect(compose.status == .unprocessableEntity)
            #expect(try await alex.get("/drafts").decode(DraftPageResponse.self).items.isEmpty)
        }
    }

    @Test func tabsAndLineBreaksAreText() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let reply = try await alex.send(
                .POST, "/conversations",
                json: [
                    "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                    "recipient": demo.ids.provider("mchen"), "subject": "Two\tcolumns",
                    "body": "First line\r\nSecond line\n\tindented",
                ])
            #expect(reply.status == .created)
        }
    }
}
