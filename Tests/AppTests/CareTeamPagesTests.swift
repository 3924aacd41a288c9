import Domain
import Fluent
import Testing

@testable import App

/// The care team's pages as they use them (issue 16): their header leads to the In Basket, not to a patient-style
/// Messages list.
@Suite struct CareTeamPagesTests {
    @Test func theHeaderLeadsTheCareTeamToTheInBasketWithItsUnreadCount() async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids
            let alex = try await demo.client("alex")
            _ = try await alex.start(ids.start("General Message", to: ids.provider("mchen")))
            let chen = demo.browser
            try await chen.signIn("mchen")
            let basket = try await chen.get("/care-team")
            #expect(
                basket.body.contains(
                    #"<a class="nav-messages" href="/care-team" data-label="In Basket" aria-label="In Basket, 1 unread">In Basket"#
                ))
            #expect(!basket.body.contains(#"href="/messages""#))
            let messages = try await chen.get("/messages")
            #expect(messages.status == .seeOther)
            #expect(messages.location == "/care-team")
            // Every folder of the patient-style list leads there too.
            #expect(try await chen.get("/messages?folder=sent").location == "/care-team")
        }
    }

    @Test func aCareTeamMemberWhoIsAlsoAPatientHasMessagesAndTheInBasket() async throws {
        try await withDemoAPI { demo in
            try await UserRole(userID: demo.ids.users["mchen"]!, role: .patient).create(on: demo.app.db)
            let chen = demo.browser
            try await chen.signIn("mchen")
            let today = try await chen.get("/today")
            #expect(today.status == .ok)
            #expect(today.body.contains(#"<a class="nav-messages" href="/messages" data-label="Messages""#))
            #expect(today.body.contains(#"<a class="nav-in-basket" href="/care-team">In Basket</a>"#))
            #expect(try await chen.get("/messages").status == .ok)
        }
    }

    @Test func claimAssignAndDoneSayWhatHappenedAndOfferTheNextInQueue() async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids
            let alex = try await demo.client("alex")
            let triage = ids.pool("Nurse Triage")
            let rash = try await alex.start(ids.start("Medical Question", to: triage, subject: "Rash"))
            _ = try await alex.start(ids.start("Medical Question", to: triage, subject: "Cough"))
            let nina = demo.browser
            try await nina.signIn("ntorres")
            let page = try await nina.get("/messages/\(rash)")
            let assignForm = try #require(
                page.body.split(separator: #"id="assignee""#).last?.split(separator: "</select>").first)
            #expect(assignForm.contains(#"<option value="">Choose a person…</option>"#))
            #expect(!assignForm.contains("selected"))
            #expect(!page.body.contains("Next in queue"))
            // The patient once, with age and date of birth.
            #expect(page.body.contains("<strong>Alex Rivera</strong>, 38 years old, born April 12, 1988"))
            #expect(page.body.contains("record number <span class=\"record-number\">RB-100234</span>"))
            #expect(!page.body.contains("<dt>Patient</dt>"))

            let unchosen = try await nina.post(
                "/care-team/conversations/\(rash)/assign", ["assignee": "", "current": ""])
            #expect(unchosen.status == .unprocessableEntity)
            #expect(
                unchosen.body.contains(#"<p class="field-error" id="assignee-error">Choose who to assign it to.</p>"#))
            #expect(unchosen.body.contains(#"aria-describedby="assignee-error""#))

            let claimed = try await nina.post("/care-team/conversations/\(rash)/claim", [:])
            #expect(claimed.location == "/messages/\(rash)?worked=claimed")
            let afterClaim = try await nina.get("/messages/\(rash)?worked=claimed").body
            #expect(afterClaim.contains("You claimed this conversation."))
            #expect(afterClaim.contains(">Next in queue</a>"))
            #expect(!afterClaim.contains(#"<a href="/messages/\#(rash)">Next in queue</a>"#))

            let ninaID = ids.users["ntorres"]!.uuidString
            let assigned = try await nina.post(
                "/care-team/conversations/\(rash)/assign", ["assignee": ninaID, "current": ninaID])
            #expect(assigned.location == "/messages/\(rash)?worked=assigned")
            #expect(try await nina.get(assigned.location!).body.contains("Assigned to Nina Torres, RN."))

            let done = try await nina.post("/care-team/conversations/\(rash)/done", [:])
            #expect(try await nina.get(done.location!).body.contains("Marked as Done."))
        }
    }
}
