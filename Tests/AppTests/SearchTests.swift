import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Search over the conversations each actor may see: the index kept in the message's own transaction, every visibility
/// rule, the filters, the care team's search by patient, and the same answers on the page and through the API.
@Suite struct SearchTests {
    /// What `GET /api/v1/search` finds, by title.
    static func titles(_ client: APIClient, _ query: String) async throws -> [String] {
        let page: ConversationPageResponse = try await client.send(.GET, "/search?\(query)").decode()
        return page.items.map(\.title)
    }

    @Test func aWordOfAnyMessageOrOfTheSubjectFindsTheConversationAsSoonAsItIsWritten() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                let refill: ConversationResponse = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start(
                        "Medical Question", to: ids.provider("mchen"), subject: "Lisinopril",
                        body: "Could I get a refill before Friday?")
                ).decode()
                _ = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "Knee", body: "It hurts.")
                )

                #expect(try await Self.titles(alex, "q=refill") == ["Lisinopril"])
                #expect(try await Self.titles(alex, "q=REFILLS") == ["Lisinopril"], "stemmed, any case")
                #expect(try await Self.titles(alex, "q=lisinopril") == ["Lisinopril"], "the subject")
                #expect(try await Self.titles(alex, "q=refill%20knee").isEmpty, "every word must be there")

                // A reply is found by its words at once, and a changed subject by its new words only.
                let id = refill.conversation.id
                _ = try await chen.send(.POST, "/conversations/\(id)/messages", json: ["body": "Sent to the pharmacy."])
                #expect(try await Self.titles(alex, "q=pharmacy") == ["Lisinopril"])
                let edited = try await alex.send(
                    .PATCH, "/conversations/\(id)", json: ["subject": "Blood pressure pills"],
                    headers: ["If-Match": "\"1\""])
                #expect(edited.status == .ok)
                #expect(try await Self.titles(alex, "q=lisinopril").isEmpty)
                #expect(try await Self.titles(alex, "q=blood%20pills") == ["Blood pressure pills"])
                #expect(try await Self.titles(alex, "q=pharmacy%20friday") == ["Blood pressure pills"])

                // The page finds the same, with no script.
                try await browser.signIn("alex")
                let page = try await browser.get("/messages/search?q=pharmacy")
                #expect(page.status == .ok)
                #expect(page.body.contains("Blood pressure pills"))
                #expect(!page.body.contains(">Knee<"))
                #expect(page.body.contains(#"value="pharmacy""#), "the box keeps what was typed")
                let messages = try await browser.get("/messages")
                #expect(messages.body.contains(#"action="/messages/search""#))
            }
        }
    }

    @Test func aProxyNeverFindsAConfidentialConversationAndThePoolsFindOnlyTheirOwn() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let jordan = try await APIClient.signedIn("jordan", app: app, browser: browser)
                let torres = try await APIClient.signedIn("ntorres", app: app, browser: browser)
                let okafor = try await APIClient.signedIn("bokafor", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                for (subject, confidential) in [("Open refill", false), ("Private refill", true)] {
                    _ = try await alex.send(
                        .POST, "/conversations",
                        json: ids.start(
                            "Medical Question", to: ids.provider("mchen"), subject: subject, confidential: confidential,
                            body: "About my refill.")
                    )
                }
                _ = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start(
                        "Medical Question", to: ids.pool("Nurse Triage"), subject: "Triage refill",
                        body: "A refill question.")
                )

                #expect(
                    Set(try await Self.titles(alex, "q=refill")) == ["Open refill", "Private refill", "Triage refill"])
                #expect(Set(try await Self.titles(jordan, "q=refill")) == ["Open refill", "Triage refill"])
                let alexID = ids.users["alex"]!.uuidString
                #expect(
                    Set(try await Self.titles(jordan, "q=refill&patient=\(alexID)")) == [
                        "Open refill", "Triage refill",
                    ])
                let sam = try await User.query(on: app.db).filter(\.$name == "Sam Rivera").first()!.requireID()
                #expect(try await Self.titles(jordan, "q=refill&patient=\(sam.uuidString)").isEmpty)
                #expect(try await Self.titles(torres, "q=refill") == ["Triage refill"])
                #expect(try await Self.titles(okafor, "q=refill").isEmpty)
                #expect(Set(try await Self.titles(chen, "q=refill")) == ["Open refill", "Private refill"])

                // The page, for the proxy viewing Alex: nothing of the confidential one, not even its title.
                try await browser.signIn("jordan")
                #expect(!(try await browser.get("/messages/search?q=refill").body.contains("Open refill")), "his own")
                browser.setCookie(MessagesController.viewingCookie, alexID)
                let page = try await browser.get("/messages/search?q=refill")
                #expect(page.body.contains("Open refill"))
                #expect(!page.body.contains("Private refill"))
            }
        }
    }

    @Test func theFiltersNarrowByRecipientTypeDatesAndFolder() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))  // 2026-11-18
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                let old: ConversationResponse = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("General Message", to: ids.provider("mchen"), subject: "Old", body: "Ankle")
                ).decode()
                clock.advance(by: 30 * 86_400)  // 2026-12-18
                _ = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.pool("Nurse Triage"), subject: "New", body: "Ankle")
                )
                _ = try await chen.send(
                    .POST, "/conversations/\(old.conversation.id)/messages", json: ["body": "Better?"])
                _ = try await alex.send(.PUT, "/conversations/\(old.conversation.id)/archive")

                #expect(Set(try await Self.titles(alex, "q=ankle")) == ["Old", "New"])
                let triage = ids.pools["Nurse Triage"]!.uuidString
                #expect(try await Self.titles(alex, "q=ankle&recipient=\(triage)") == ["New"])
                #expect(try await Self.titles(alex, "recipient=\(ids.users["mchen"]!.uuidString)") == ["Old"])
                let general = ids.types["General Message"]!.uuidString
                #expect(try await Self.titles(alex, "type=\(general)") == ["Old"])
                #expect(try await Self.titles(alex, "q=ankle&to=2026-11-30") == ["Old"], "started by then")
                #expect(try await Self.titles(alex, "q=ankle&from=2026-12-01&to=2026-12-31").count == 2)
                #expect(try await Self.titles(alex, "q=ankle&folder=archived") == ["Old"])
                #expect(try await Self.titles(alex, "q=ankle&folder=inbox").isEmpty, "the triage one has no reply")
                #expect(try await Self.titles(alex, "q=ankle&folder=sent") == ["New"])
            }
        }
    }

    @Test func theCareTeamFindsAPatientByNameOrBirthDateInTheirOwnWorkOnly() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let jordan = try await APIClient.signedIn("jordan", app: app, browser: browser)
                let chen = try await APIClient.signedIn("mchen", app: app, browser: browser)
                _ = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "From Alex")
                )
                _ = try await jordan.send(
                    .POST, "/conversations",
                    json: ids.start("Medical Question", to: ids.provider("mchen"), subject: "From Jordan")
                )
                #expect(try await Self.titles(chen, "patient_name=alex%20rivera") == ["From Alex"])
                #expect(try await Self.titles(chen, "patient_name=RIV").count == 2)
                #expect(try await Self.titles(chen, "born=1988-04-12") == ["From Alex"])
                #expect(try await Self.titles(chen, "born=9/30/1986") == ["From Jordan"])
                #expect(try await Self.titles(alex, "patient_name=jordan").isEmpty, "a patient sees only their own")

                try await browser.signIn("mchen")
                let page = try await browser.get("/care-team/search?born=04%2F12%2F1988")
                #expect(page.status == .ok)
                #expect(page.body.contains("From Alex"))
                #expect(!page.body.contains("From Jordan"))
                #expect(try await browser.get("/care-team").body.contains(#"action="/care-team/search""#))

                // The In Basket's search is the care team's: a patient has none.
                try await browser.signIn("alex")
                #expect(try await browser.get("/care-team/search?q=alex").status == .notFound)
            }
        }
    }

    @Test func whatIsTypedIsNeverSearchSyntaxAndBadFiltersAreNamed() async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                _ = try await alex.send(
                    .POST, "/conversations",
                    json: ids.start(
                        "Medical Question", to: ids.provider("mchen"), subject: "Refill", body: "refill OR NEAR")
                )
                for typed in [
                    "\"", "refill\"", "*", "refill*", "NEAR(refill", "refill OR", "-refill", "refill:*", "'", "\\",
                    "^refill", "(", "subject:refill", "a & b | !c", "🙂",
                ] {
                    let query = typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                    let reply = try await alex.send(.GET, "/search?q=\(query)")
                    #expect(reply.status == .ok, "\(typed)")
                }
                #expect(try await Self.titles(alex, "q=%22refill%22") == ["Refill"], "quotes are just separators")

                for (query, field) in [
                    ("from=2026-02-30", "from"), ("to=yesterday", "to"), ("from=2026-12-02&to=2026-12-01", "to"),
                    ("folder=drafts", "folder"), ("recipient=dr-chen", "recipient"), ("type=1", "type"),
                    ("born=13/40/1990", "born"), ("q=" + String(repeating: "a", count: 201), "q"),
                    ("patient=", "patient"), ("cursor=nope!", "cursor"), ("limit=0", "limit"),
                ] {
                    let reply = try await alex.send(.GET, "/search?\(query)")
                    #expect(reply.status == .unprocessableEntity, "\(query)")
                    #expect(reply.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true)
                    #expect(reply.json["field"] as? String == field, "\(query)")
                }

                // The page shows what is wrong beside the field, and keeps what was typed.
                try await browser.signIn("alex")
                let page = try await browser.get("/messages/search?q=refill&from=2026-02-30")
                #expect(page.status == .unprocessableEntity)
                #expect(page.body.contains("<title>Error: Search Messages"))
                #expect(page.body.contains(#"id="from-error""#))
                #expect(page.body.contains(#"value="refill""#))
            }
        }
    }

    /// Paging goes on from the last result, as the folders do: every match once, newest first.
    @Test func resultsComeAPageAtATimeNewestFirst() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withDemo(clock: clock) { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                for n in 1...7 {
                    clock.advance(by: 60)
                    _ = try await alex.send(
                        .POST, "/conversations",
                        json: ids.start(
                            "Medical Question", to: ids.provider("mchen"), subject: "Refill \(n)", body: "refill")
                    )
                }
                var titles: [String] = []
                var cursor: String?
                repeat {
                    let after = cursor.map {
                        "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                    }
                    let page: ConversationPageResponse = try await alex.send(
                        .GET, "/search?q=refill&limit=3\(after ?? "")"
                    ).decode()
                    titles += page.items.map(\.title)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(titles == (1...7).reversed().map { "Refill \($0)" })
            }
        }
    }
}
