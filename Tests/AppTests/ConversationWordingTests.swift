import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The right words for the reader: a patient is told who a care-team message is from and when to expect a reply to
/// their own; the care team is not told what patients are told; folders and drafts say what they hold.
@Suite struct ConversationWordingTests {
    @Test func aMessageTheCareTeamStartedReadsFromThemWithNoPatientNotices() async throws {
        try await withDemoAPI { demo in
            let chen = try await demo.client("mchen")
            let id = try await chen.start(
                demo.ids.start(
                    "General Message", to: demo.ids.provider("mchen"), subject: "Lab results", patient: "alex"))
            _ = try await chen.get("/conversations/\(id)")

            try await demo.browser.signIn("alex")
            let page = try await demo.browser.get("/messages/\(id)")
            #expect(page.body.contains("<dt>From</dt><dd>Dr. Maya Chen</dd>"))
            #expect(!page.body.contains("<dt>To</dt>"))
            #expect(!page.body.contains("Read by care team"))
            #expect(!page.body.contains("You can expect a reply by"))
            #expect(page.body.contains("Call 911"))
            let api: ConversationResponse = try await demo.client("alex").get("/conversations/\(id)").decode()
            #expect(api.conversation.startedBy == "care_team")
            #expect(api.expectedReplyNotice == nil)
        }
    }

    @Test func theCareTeamIsNotShownThePatientsNotices() async throws {
        try await withDemoAPI { demo in
            let id = try await demo.client("alex").start(
                demo.ids.start("Medical Question", to: demo.ids.pool("Nurse Triage"), subject: "Rash"))
            try await demo.browser.signIn("ntorres")
            let page = try await demo.browser.get("/messages/\(id)")
            #expect(page.status == .ok)
            #expect(page.body.contains("<dt>To</dt><dd>Nurse Triage</dd>"))
            #expect(!page.body.contains("Call 911"))
            #expect(!page.body.contains("You can expect a reply by"))
            let api: ConversationResponse = try await demo.client("ntorres").get("/conversations/\(id)").decode()
            #expect(api.expectedReplyNotice == nil)
            #expect(api.conversation.patientBirthDate == "1988-04-12")
            #expect(api.conversation.patientRecordNumber == "RB-100234")
            let alexSees: ConversationResponse = try await demo.client("alex").get("/conversations/\(id)").decode()
            #expect(alexSees.expectedReplyNotice == "You can expect a reply by Tuesday, December 1, 2026.")
            #expect(alexSees.conversation.patientBirthDate == nil)
            #expect(alexSees.conversation.patientRecordNumber == nil)
        }
    }

    @Test func theInboxHoldsWhatTheOtherSideWroteAndSentWhatMySideWrote() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let chen = try await demo.client("mchen")
            let asked = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            let answered = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            _ = try await chen.reply(answered)
            let told = try await chen.start(
                demo.ids.start("General Message", to: demo.ids.provider("mchen"), patient: "alex"))
            #expect(Set(try await alex.folder("inbox").map(\.id)) == [answered, told])
            #expect(Set(try await alex.folder("sent").map(\.id)) == [asked, answered])
        }
    }

    @Test func aReplyDraftIsListedUnderTheConversationItAnswers() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let id = try await alex.start(
                demo.ids.start("General Message", to: demo.ids.provider("mchen"), subject: "Knee pain"))
            _ = try await alex.send(
                .POST, "/drafts", json: ["conversationId": id.uuidString, "body": "One more thing"])
            let drafts: DraftPageResponse = try await alex.get("/drafts").decode()
            #expect(drafts.items.first?.conversationTitle == "Knee pain")
            try await demo.browser.signIn("alex")
            let page = try await demo.browser.get("/messages?folder=drafts")
            #expect(page.body.contains("Reply: Knee pain"))
        }
    }

    /// Drafts hold message text, so reading the list of them is audited, once per list.
    @Test func readingTheListOfDraftsIsAudited() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            _ = try await alex.send(.POST, "/drafts", json: ["subject": "Private", "body": "Text"])
            let before = try await AuditEvent.query(on: demo.app.db).filter(\.$action == "draft.list").count()
            #expect(try await alex.get("/drafts").status == .ok)
            let after = try await AuditEvent.query(on: demo.app.db).filter(\.$action == "draft.list").all()
            #expect(before == 0)
            #expect(after.count == 1)
            #expect(after.first?.actorID == demo.user("alex"))
        }
    }
}
