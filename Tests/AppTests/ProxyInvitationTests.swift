import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Sharing (issue 15): a patient invites someone by email to act for them, the invitee accepts by making an account or
/// with the one they have, and the patient stops it at once. Against the real SMTP server `scripts/test` starts.
@Suite(.enabled(if: Mailbox.serverIsRunning, "needs CAREBOX_TEST_SMTP: eval \"$(scripts/smtp-server start)\""))
struct ProxyInvitationTests {
    static let password = "purple kettle orbit"

    /// Alex invites `username`'s test address from his Sharing page; answers his browser.
    static func invite(_ demo: DemoAPI, _ mail: Mailbox, _ username: String, as relationship: String = "caregiver")
        async throws -> TestBrowser
    {
        let alex = demo.browser.newWindow()
        try await alex.signIn("alex")
        let invited = try await alex.post(
            "/sharing/invitations", ["email": mail.address(username), "relationship": relationship])
        try #require(invited.location == "/sharing?done=invited")
        return alex
    }

    /// The path and query of the invitation link in the newest email to `username`.
    static func link(to username: String, _ mail: Mailbox) throws -> String {
        let email = try #require(try mail.emails(to: username).last)
        let start = try #require(email.body.range(of: "/invitation?token="))
        return String(email.body[start.lowerBound...].prefix { !$0.isWhitespace })
    }

    static func token(of link: String) -> String {
        URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value ?? ""
    }

    static func makeAccount(_ browser: TestBrowser, link: String, username: String = "casey.r") async throws
        -> TestBrowser.Page
    {
        _ = try await browser.get(link)
        return try await browser.post(
            "/invitation/sign-up",
            [
                "token": token(of: link), "name": "Casey Rivera", "username": username,
                "new_password": password, "confirm_password": password,
            ])
    }

    @Test func caseyAcceptsByMakingAnAccountSeesOnlyWhatIsNotConfidentialAndIsOutOnceAlexStops() async throws {
        try await withDemoMail { demo, mail in
            let open = try await NotificationEmailTests.alexWrites(demo)
            let confidential = try await NotificationEmailTests.alexWrites(demo, confidential: true)
            let alex = try await Self.invite(demo, mail, "casey")
            let sharing = try await alex.get("/sharing")
            #expect(sharing.body.contains(mail.address("casey")))
            #expect(sharing.body.contains("Jordan Rivera"), "Jordan already acts for Alex")
            #expect(try await demo.deliver() == 1)

            let email = try #require(try mail.emails(to: "casey").first)
            #expect(email.subject == "Riverbend Health: an invitation to the patient portal")
            for name in ["Alex", "Rivera", "caregiver"] { #expect(!email.wholeText.contains(name)) }
            let link = try Self.link(to: "casey", mail)

            let casey = demo.browser.newWindow()
            let page = try await casey.get(link)
            #expect(page.status == .ok)
            #expect(page.body.contains("Alex Rivera"))
            #expect(page.body.contains("as their caregiver"))
            let made = try await Self.makeAccount(casey, link: link)
            #expect(made.status == .seeOther)
            #expect(made.location == "/today?accepted=\(demo.user("alex").uuidString)")
            let welcome = try await casey.get(try #require(made.location)).body
            #expect(welcome.contains("You can now read and send messages for Alex Rivera (caregiver)."))
            // The notice names only someone Casey now acts for, whatever id the address carries.
            let sam = try #require(try await User.query(on: demo.app.db).filter(\.$name == "Sam Rivera").first()?.id)
            let probing = try await casey.get("/today?accepted=\(sam.uuidString)").body
            #expect(!probing.contains("You accepted") && !probing.contains("Sam"))
            #expect(try await casey.get("/messages/\(open)").status == .ok)
            #expect(try await casey.get("/messages/\(confidential)").status == .notFound)
            // A proxy for one patient only writes for them, and is told whose messages these are.
            let compose = try await casey.get("/messages/new")
            #expect(compose.status == .ok)
            #expect(compose.body.contains("Writing on behalf of <strong>Alex Rivera</strong>"))
            #expect(try await casey.get("/messages").body.contains("Alex Rivera (caregiver)"))
            let account = try #require(try await User.query(on: demo.app.db).filter(\.$username == "casey.r").first())
            #expect(account.email == mail.address("casey"))
            #expect(try await casey.get(link).status == .gone, "a link works once")

            let grant = try #require(
                try await ProxyGrant.query(on: demo.app.db).filter(\.$proxy.$id == account.id!).first())
            #expect(grant.relationship == "caregiver")
            let stopped = try await alex.post(
                "/sharing/proxies/\(grant.id!)/revoke", ["version": String(grant.version)])
            #expect(stopped.location == "/sharing?done=revoked")
            #expect(try await casey.get("/messages/\(open)").status == .notFound, "refused at Casey's next request")
            // Today offers Casey nothing that leads nowhere, and says why.
            let today = try await casey.get("/today").body
            #expect(!today.contains("Start a New Message"))
            #expect(today.contains("You do not have access to anyone's messages now."))
            #expect(!(try await alex.get("/sharing").body.contains("Casey Rivera")))

            let actions = try await AuditEvent.query(on: demo.app.db)
                .filter(\.$action ~~ ["proxy_invitation.create", "proxy_invitation.accept", "proxy_grant.revoke"])
                .all()
            #expect(
                actions.map(\.action).sorted() == [
                    "proxy_grant.revoke", "proxy_invitation.accept", "proxy_invitation.create",
                ])
            #expect(actions.allSatisfy { $0.actingForID == demo.user("alex") })
            #expect(actions.first { $0.action == "proxy_invitation.accept" }?.actorID == account.id)
        }
    }

    /// Someone with an account signs in from the link and accepts with it; Alex cannot accept his own.
    @Test func anAdministratorInvitesForAPatientOnThePageAndThroughTheAPI() async throws {
        try await withDemoMail { demo, mail in
            let alex = demo.user("alex")
            let admin = demo.browser.newWindow()
            try await admin.signIn("admin")
            #expect(try await admin.get("/administration/people/\(alex)").body.contains("Invite a Proxy by Email"))
            let refused = try await admin.post(
                "/administration/people/\(alex)/proxy-invitations",
                ["email": "not an address", "relationship": "parent"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("Enter the email address of the person to invite"))
            let invited = try await admin.post(
                "/administration/people/\(alex)/proxy-invitations",
                ["email": mail.address("casey"), "relationship": "parent"])
            #expect(invited.location == "/administration/people/\(alex)?done=proxy-invited")
            #expect(try await demo.deliver() == 1)
            let casey = demo.browser.newWindow()
            #expect(try await Self.makeAccount(casey, link: try Self.link(to: "casey", mail)).status == .seeOther)
            let grant = try await ProxyGrant.query(on: demo.app.db).filter(\.$patient.$id == alex)
                .filter(\.$relationship == "parent").first()
            #expect(grant != nil)

            let api = try await demo.client("admin")
            let made = try await api.send(
                .POST, "/admin/people/\(alex)/proxy-invitations",
                json: ["email": mail.address("robin"), "relationship": "sibling"])
            #expect(made.status == .created)
            #expect(!made.body.contains("robin"))
            let wrong = try await api.send(
                .POST, "/admin/people/\(alex)/proxy-invitations",
                json: ["email": mail.address("robin"), "relationship": "neighbour"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.json["field"] as? String == "relationship")
            #expect(try await demo.deliver() == 1)
            #expect(try mail.emails(to: "robin").count == 1)

            let audited = try await AuditEvent.query(on: demo.app.db)
                .filter(\.$action == "admin.proxy_invitation.create").all()
            #expect(audited.count == 2)
            #expect(audited.allSatisfy { $0.actorID == demo.user("admin") && $0.actingForID == alex })
        }
    }

    @Test func anExistingAccountSignsInAndAccepts() async throws {
        try await withDemoMail { demo, mail in
            let alex = try await Self.invite(demo, mail, "ntorres", as: "sibling")
            try await demo.deliver()
            let link = try Self.link(to: "ntorres", mail)
            let own = try await alex.post("/invitation/accept", ["token": Self.token(of: link)])
            #expect(own.status == .forbidden)
            #expect(own.body.contains("You cannot accept your own invitation"))

            let nina = demo.browser.newWindow()
            let signIn = try await nina.get(link)
            #expect(signIn.body.contains("Sign in to accept"))
            #expect(try await nina.signIn("ntorres", next: link).location == link)
            #expect(try await nina.get(link).body.contains("Accept as Nina Torres"))
            let accepted = try await nina.post("/invitation/accept", ["token": Self.token(of: link)])
            #expect(accepted.location == "/today?accepted=\(demo.user("alex").uuidString)")
            let roles = try await UserRole.query(on: demo.app.db).filter(\.$user.$id == demo.user("ntorres"))
                .all(\.$role)
            #expect(roles.contains(.proxy))
            #expect(
                try await ProxyGrant.query(on: demo.app.db).filter(\.$proxy.$id == demo.user("ntorres"))
                    .filter(\.$patient.$id == demo.user("alex")).count() == 1)
        }
    }

    /// Two people following one link at once: one account, one grant.
    @Test func twoAcceptancesAtOnceMakeOneGrant() async throws {
        try await withDemoMail { demo, mail in
            _ = try await Self.invite(demo, mail, "casey")
            try await demo.deliver()
            let link = try Self.link(to: "casey", mail)
            let browsers = [demo.browser.newWindow(), demo.browser.newWindow()]
            for browser in browsers { _ = try await browser.get(link) }
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for (index, browser) in browsers.enumerated() {
                    group.addTask {
                        try await browser.post(
                            "/invitation/sign-up",
                            [
                                "token": Self.token(of: link), "name": "Casey Rivera", "username": "casey\(index)",
                                "new_password": Self.password, "confirm_password": Self.password,
                            ]
                        ).status.code
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [303, 410])
            #expect(try await User.query(on: demo.app.db).filter(\.$username ~~ ["casey0", "casey1"]).count() == 1)
        }
    }

    @Test func aCancelledInvitationsLinkNoLongerWorksAndFiveMayWait() async throws {
        try await withDemoMail { demo, mail in
            let alex = try await Self.invite(demo, mail, "casey")
            try await demo.deliver()
            let link = try Self.link(to: "casey", mail)
            for (fields, problem) in [
                (["email": "not an address", "relationship": "other"], "such as name@example.org"),
                (["email": mail.address("x"), "relationship": "landlord"], "Choose how they are related"),
                (["email": mail.address("alex"), "relationship": "other"], "That is your own address"),
            ] {
                let refused = try await alex.post("/sharing/invitations", fields)
                #expect(refused.status == .unprocessableEntity)
                #expect(refused.body.contains(problem))
            }
            for number in 1...4 {
                let invited = try await alex.post(
                    "/sharing/invitations", ["email": mail.address("friend\(number)"), "relationship": "other"])
                #expect(invited.status == .seeOther)
            }
            let sixth = try await alex.post(
                "/sharing/invitations", ["email": mail.address("friend5"), "relationship": "other"])
            #expect(sixth.status == .unprocessableEntity)
            #expect(sixth.body.contains("Cancel one first"))

            let invitation = try #require(
                try await demo.app.db.sql().raw(
                    "SELECT id FROM proxy_invitations WHERE email = \(bind: mail.address("casey"))"
                ).first()?.decode(column: "id", as: UUID.self))
            #expect(
                try await alex.post("/sharing/invitations/\(invitation)/cancel", [:]).location
                    == "/sharing?done=cancelled")
            #expect(try await demo.browser.newWindow().get(link).status == .gone)
        }
    }

    /// Sharing is the patient's own: others get 404, a grant of someone else's cannot be stopped from here, and a
    /// patient under 18 is told to ask the clinic.
    @Test func onlyAPatientSharesAndOnlyTheirOwnAccess() async throws {
        try await withDemoMail { demo, mail in
            let chen = demo.browser.newWindow()
            try await chen.signIn("mchen")
            #expect(try await chen.get("/sharing").status == .notFound)
            #expect(!(try await chen.get("/care-team").body.contains("href=\"/sharing\"")))

            let alex = demo.browser.newWindow()
            try await alex.signIn("alex")
            #expect(try await alex.get("/today").body.contains("href=\"/sharing\""))
            let samsGrant = try #require(
                try await ProxyGrant.query(on: demo.app.db).filter(\.$patient.$id != demo.user("alex")).first())
            let refused = try await alex.post(
                "/sharing/proxies/\(samsGrant.id!)/revoke", ["version": String(samsGrant.version)])
            #expect(refused.status == .notFound)
            #expect(try await ProxyGrant.find(samsGrant.id, on: demo.app.db)?.version == samsGrant.version)

            let user = try #require(try await User.find(demo.user("alex"), on: demo.app.db))
            user.birthDate = "2012-06-01"
            try await user.save(on: demo.app.db)
            #expect(try await alex.get("/sharing").body.contains("ask your clinic"))
            let minor = try await alex.post(
                "/sharing/invitations", ["email": mail.address("casey"), "relationship": "parent"])
            #expect(minor.status == .unprocessableEntity)
            #expect(try await demo.app.db.sql().raw("SELECT id FROM proxy_invitations").all().isEmpty)
        }
    }
}
