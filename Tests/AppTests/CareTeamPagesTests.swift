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
}
