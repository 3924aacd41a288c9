import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// New Message without JavaScript: a refused file leaves no draft behind, retrying makes no second one, and a draft
/// changed in another window is explained on the form instead of a bare 409 page (issue 12, item 15).
@Suite struct RefusedUploadTests {
    static let notAFile: (String, String, [UInt8]) = ("attachment", "setup.exe", [0x4D, 0x5A, 0x90, 0x00, 1, 2, 3])

    func hiddenValue(_ name: String, in page: TestBrowser.Page) -> String {
        guard let range = page.body.range(of: "name=\"\(name)\" value=\"") else { return "" }
        return String(page.body[range.upperBound...].prefix { $0 != "\"" })
    }

    func drafts(_ app: Application) async throws -> Int { try await Draft.query(on: app.db).count() }

    @Test func aRefusedFileOnAnUntouchedNewMessageLeavesNoDraftHowEverOftenItIsTried() async throws {
        try await withDemoAPI { demo in
            let browser = demo.browser.newWindow()
            try await browser.signIn("alex")
            // As a browser posts an untouched form: every field present, empty.
            var fields = [
                "message_type": demo.ids.types["General Message"]!.uuidString, "recipient": "", "subject": "",
                "body_text": "", "body_json": "", "draft_id": "", "draft_version": "", "send_key": UUID().uuidString,
                "action": "attach",
            ]
            for _ in 1...2 {
                let page = try await browser.postMultipart("/messages", fields: fields, file: Self.notAFile)
                #expect(page.status == .unprocessableEntity)
                #expect(try await drafts(demo.app) == 0)
                fields["draft_id"] = hiddenValue("draft_id", in: page)
                fields["draft_version"] = hiddenValue("draft_version", in: page)
            }
        }
    }

    @Test func aRefusedFileBesideWrittenTextKeepsOneDraftAcrossRetries() async throws {
        try await withDemoAPI { demo in
            let browser = demo.browser.newWindow()
            try await browser.signIn("alex")
            var fields = [
                "message_type": demo.ids.types["General Message"]!.uuidString, "subject": "My rash",
                "action": "attach",
            ]
            for _ in 1...3 {
                let page = try await browser.postMultipart("/messages", fields: fields, file: Self.notAFile)
                #expect(page.status == .unprocessableEntity)
                #expect(page.body.contains("My rash"))
                fields["draft_id"] = hiddenValue("draft_id", in: page)
                fields["draft_version"] = hiddenValue("draft_version", in: page)
                #expect(try await drafts(demo.app) == 1)
            }
        }
    }

    @Test func aDraftChangedInAnotherWindowIsExplainedOnTheFormAndKeptOnSave() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let draft: DraftResponse = try await alex.send(
                .POST, "/drafts",
                json: [
                    "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                    "recipient": demo.ids.provider("mchen"), "subject": "First", "body": "From window one",
                ]
            ).decode()
            // Another window saves the draft, so this window's version 1 is stale.
            _ = try await alex.send(
                .PUT, "/drafts/\(draft.id)", json: ["subject": "Second", "body": "From window two"],
                headers: ["If-Match": "\"\(draft.version)\""])

            let browser = demo.browser.newWindow()
            try await browser.signIn("alex")
            let fields = [
                "message_type": demo.ids.types["General Message"]!.uuidString,
                "recipient": "provider:\(demo.user("mchen").uuidString)", "subject": "Third",
                "body_text": "From this window", "draft_id": draft.id.uuidString,
                "draft_version": String(draft.version), "action": "close",
            ]
            let stale = try await browser.post("/messages", fields)
            #expect(stale.status == .conflict)
            #expect(stale.body.contains("also changed in another window"))
            #expect(stale.body.contains("From this window"))

            var again = fields
            again["draft_version"] = hiddenValue("draft_version", in: stale)
            let saved = try await browser.post("/messages", again)
            #expect(saved.status == .seeOther)
            let kept: DraftResponse = try await alex.get("/drafts/\(draft.id)").decode()
            #expect(kept.subject == "Third")
        }
    }
}
