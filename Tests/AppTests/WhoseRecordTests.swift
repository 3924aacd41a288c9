import Testing

@testable import App

/// A proxy always knows whose record they are in (issue 16): every page says whose messages they are viewing, with
/// the switch and each person's unread count, and starting a message asks whom it is for.
@Suite struct WhoseRecordTests {
    static let pages = ["/today", "/messages", "/messages/search", "/notifications", "/account/security", "/sharing"]

    @Test func everyPageSaysWhoseMessagesJordanIsViewingAndSwitchingStaysOnThePage() async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids
            let alex = try await demo.client("alex")
            let chen = try await demo.client("mchen")
            _ = try await chen.reply(try await alex.start(ids.start("General Message", to: ids.provider("mchen"))))
            let browser = demo.browser
            try await browser.signIn("jordan")
            for path in Self.pages {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.body.contains("You are viewing your own messages."), "\(path)")
                #expect(page.body.contains("Alex Rivera (spouse) – 1 unread"), "\(path)")
                #expect(page.body.contains(#"name="back" value="\#(path)""#), "\(path)")
            }
            let switched = try await browser.post(
                "/messages/viewing", ["patient": ids.users["alex"]!.uuidString, "back": "/notifications"])
            #expect(switched.location == "/notifications")
            for path in Self.pages {
                let page = try await browser.get(path)
                #expect(page.body.contains("You are viewing <strong>Alex Rivera</strong>'s messages."), "\(path)")
                #expect(page.body.contains(#"aria-label="Messages, 1 unread""#), "\(path)")
            }
            // A page reached by a form returns to the Inbox after a switch, never to an address that answers only POST.
            let outside = try await browser.post(
                "/messages/viewing", ["patient": ids.users["jordan"]!.uuidString, "back": "https://example.com/"])
            #expect(outside.location == "/messages")
        }
    }

    @Test func onlyPeopleActingForOthersSeeTheBanner() async throws {
        try await withDemoAPI { demo in
            for username in ["alex", "mchen", "admin"] {
                let browser = demo.browser.newWindow()
                try await browser.signIn(username)
                let landing = try await browser.get(username == "alex" ? "/today" : "/notifications")
                #expect(landing.status == .ok, "\(username)")
                #expect(!landing.body.contains("viewing-banner"), "\(username)")
            }
        }
    }

    @Test func todayAsksWhomANewMessageIsForAndTheFormSaysSo() async throws {
        try await withDemoAPI { demo in
            let ids = demo.ids
            let browser = demo.browser
            try await browser.signIn("jordan")
            let today = try await browser.get("/today")
            let jordanID = ids.users["jordan"]!.uuidString
            let alexID = ids.users["alex"]!.uuidString
            #expect(today.body.contains(#"href="/messages/new?patient=\#(jordanID)">Start a New Message for yourself"#))
            #expect(
                today.body.contains(
                    #"href="/messages/new?patient=\#(alexID)">Start a New Message for Alex Rivera (spouse)"#))
            let forAlex = try await browser.get("/messages/new?patient=\(alexID)")
            #expect(forAlex.body.contains("Writing on behalf of <strong>Alex Rivera</strong>."))
            #expect(forAlex.body.contains(#"name="patient" value="\#(alexID)""#))
            let forHimself = try await browser.get("/messages/new?patient=\(jordanID)")
            #expect(!forHimself.body.contains("Writing on behalf of"))
            // Someone Jordan does not act for is not found, whoever they are.
            let someoneElse = try await browser.get("/messages/new?patient=\(ids.users["mchen"]!.uuidString)")
            #expect(someoneElse.status == .notFound)

            let alex = demo.browser.newWindow()
            try await alex.signIn("alex")
            #expect(try await alex.get("/today").body.contains(#"href="/messages/new">Start a New Message</a>"#))
        }
    }
}
