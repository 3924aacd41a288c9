import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// People administration through the API: finding, creating and changing people, deactivation, temporary passwords.
@Suite struct AdminPeopleTests {
    /// A second organisation with its own administrator, "other.admin".
    static func secondOrganization(_ api: DemoAPI) async throws -> APIClient {
        let world = try await WorldBuilder.make(api.app, name: "Other Clinic")
        _ = try await world.person("Other Admin", roles: [.admin])
        return try await api.client("other.admin")
    }

    static func latestAudit(_ action: String, _ app: Application) async throws -> AuditEvent? {
        try await AuditEvent.query(on: app.db).filter(\.$action == action).sort(\.$sequence, .descending).first()
    }

    @Test func adminCreatesAPatientAndFindsThemByNameUsernameOrDateOfBirth() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let created = try await admin.send(
                .POST, "/admin/people",
                json: ["name": "Riley Quinn", "roles": ["patient"], "birthDate": "1990-05-06", "username": "RQuinn"])
            #expect(created.status == .created)
            let person: AdminPersonResponse = try created.decode()
            #expect(person.username == "rquinn")
            #expect(person.roles == ["patient"])
            #expect(created.headers.first(name: .eTag) == "\"1\"")

            for query in ["q=riley", "q=QUINN", "q=rquin", "born=1990-05-06", "q=riley&role=patient"] {
                let page: AdminPeoplePageResponse = try await admin.get("/admin/people?\(query)").decode()
                #expect(page.items.map(\.id) == [person.id], "\(query)")
            }
            let none: AdminPeoplePageResponse = try await admin.get("/admin/people?q=riley&role=provider").decode()
            #expect(none.items.isEmpty)
            let shown = try await admin.get("/admin/people/\(person.id)")
            #expect(try shown.decode(AdminPersonResponse.self) == person)
        }
    }

    @Test func peopleArePagedTwentyFiveAtATimeInAStableOrder() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            for number in 1...30 {
                let name = String(format: "Page Person %02d", number)
                _ = try await admin.send(
                    .POST, "/admin/people", json: ["name": name, "roles": ["patient"], "birthDate": "2000-01-01"])
            }
            let first: AdminPeoplePageResponse = try await admin.get("/admin/people?q=page%20person").decode()
            #expect(first.items.count == 25)
            #expect(first.nextPage == 2)
            let second: AdminPeoplePageResponse = try await admin.get("/admin/people?q=page%20person&page=2").decode()
            #expect(second.items.count == 5)
            #expect(second.nextPage == nil)
            #expect(Set(first.items.map(\.id)).isDisjoint(with: second.items.map(\.id)))
            #expect((first.items + second.items).map(\.name) == (1...30).map { String(format: "Page Person %02d", $0) })
            #expect(try await admin.get("/admin/people?page=0").status == .unprocessableEntity)
            #expect(try await admin.get("/admin/people?born=1990-13-01").json["field"] as? String == "born")
        }
    }

    @Test func aTakenUsernameIsRefusedOnTheUsernameFieldWhateverItsCase() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let reply = try await admin.send(
                .POST, "/admin/people",
                json: ["name": "Another Alex", "roles": ["patient"], "birthDate": "1990-01-01", "username": "ALEX"])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.json["field"] as? String == "username")
        }
    }

    @Test func missingAndWrongFieldsAreRefusedByName() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let cases: [([String: Any], String)] = [
                (["name": "", "roles": ["patient"], "birthDate": "1990-01-01"], "name"),
                (["name": "No Birthday", "roles": ["patient"]], "birthDate"),
                (["name": "Future", "roles": ["patient"], "birthDate": "2999-01-01"], "birthDate"),
                (["name": "Doctor Nobody", "roles": ["provider"]], "username"),
                (["name": "Nobody", "roles": []], "roles"),
                (["name": "Nobody", "roles": ["wizard"], "username": "wiz"], "roles"),
                (["name": "Bad Name", "roles": ["staff"], "username": "has space"], "username"),
                (["name": "Spaced", "roles": ["staff"], "username": " spaced"], "username"),
                (["name": String(repeating: "é", count: 101), "roles": ["staff"], "username": "long"], "name"),
                (["name": "No Mail", "roles": ["staff"], "username": "nomail", "email": "not an address"], "email"),
                (
                    ["name": "Spaced Mail", "roles": ["staff"], "username": "spmail", "email": " a@example.org"],
                    "email"
                ),
                (
                    ["name": "Nurse", "roles": ["staff"], "username": "nurse.mrn", "recordNumber": "RB-1"],
                    "recordNumber"
                ),
                (
                    ["name": "Odd", "roles": ["patient"], "birthDate": "1990-01-01", "recordNumber": "RB 1"],
                    "recordNumber"
                ),
                (
                    [
                        "name": "Long", "roles": ["patient"], "birthDate": "1990-01-01",
                        "recordNumber": "RB-123456789012345678",
                    ],
                    "recordNumber"
                ),
            ]
            for (json, field) in cases {
                let reply = try await admin.send(.POST, "/admin/people", json: json)
                #expect(reply.status == .unprocessableEntity, "\(json)")
                #expect(reply.json["field"] as? String == field, "\(json)")
            }
        }
    }

    /// The record number and email are the administrator's to set: the care team sees the number, and an emailed
    /// activation code needs the address.
    @Test func aPatientsRecordNumberIsUniqueHereAndTheirEmailIsSetOrCleared() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let created = try await admin.send(
                .POST, "/admin/people",
                json: [
                    "name": "Riley Quinn", "roles": ["patient"], "birthDate": "1990-05-06", "recordNumber": "rb-200300",
                    "email": "riley@example.org",
                ])
            #expect(created.status == .created)
            let riley: AdminPersonResponse = try created.decode()
            #expect(riley.recordNumber == "RB-200300")
            #expect(riley.email == "riley@example.org")
            // Alex has RB-100234 in the demo.
            let taken = try await admin.send(
                .PATCH, "/admin/people/\(riley.id)", json: ["recordNumber": "RB-100234"], headers: ["If-Match": "1"])
            #expect(taken.status == .unprocessableEntity)
            #expect(taken.json["field"] as? String == "recordNumber")
            let cleared = try await admin.send(
                .PATCH, "/admin/people/\(riley.id)", json: ["recordNumber": "", "email": ""], headers: ["If-Match": "1"]
            )
            #expect(cleared.status == .ok)
            let now: AdminPersonResponse = try cleared.decode()
            #expect(now.recordNumber == nil)
            #expect(now.email == nil)
            // Another organisation may use the same number.
            let other = try await Self.secondOrganization(api)
            let elsewhere = try await other.send(
                .POST, "/admin/people",
                json: [
                    "name": "Pat Other", "roles": ["patient"], "birthDate": "1970-01-01", "recordNumber": "RB-100234",
                ])
            #expect(elsewhere.status == .created)
            // The audit log says that they changed, never what they are.
            let event = try #require(try await Self.latestAudit("admin.person.update", api.app))
            let change = try #require(AuditChange(json: event.detail))
            #expect(change.before?["recordNumber"] == "set")
            #expect(change.before?["email"] == "set")
            for secret in ["200300", "riley@"] { #expect(!(event.detail ?? "").contains(secret), "\(secret)") }
        }
    }

    @Test func aStaleVersionIsAConflictAndChangesNothing() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let alex = api.user("alex")
            let first = try await admin.send(
                .PATCH, "/admin/people/\(alex)", json: ["credentials": "BA"], headers: ["If-Match": "\"1\""])
            #expect(first.status == .ok)
            #expect(first.headers.first(name: .eTag) == "\"2\"")
            let stale = try await admin.send(
                .PATCH, "/admin/people/\(alex)", json: ["name": "Alexander Rivera"], headers: ["If-Match": "\"1\""])
            #expect(stale.status == .conflict)
            let stored = try await User.find(alex, on: api.app.db)!
            #expect(stored.name == "Alex Rivera")
            #expect(stored.version == 2)
            for path in ["deactivate", "temporary-password"] {
                #expect(
                    try await admin.send(.POST, "/admin/people/\(alex)/\(path)", headers: ["If-Match": "1"]).status
                        == .conflict)
            }
            #expect(
                try await admin.send(.PATCH, "/admin/people/\(alex)", json: ["name": "X"]).status
                    == .preconditionRequired)
        }
    }

    @Test func onlyAnAdministratorGetsThrough() async throws {
        try await withDemoAPI { api in
            let alexID = api.user("alex")
            for username in ["alex", "jordan", "mchen", "ntorres"] {
                let client = try await api.client(username)
                #expect(try await client.get("/admin/people").status == .forbidden, "\(username)")
                #expect(try await client.get("/admin/people/\(alexID)").status == .forbidden, "\(username)")
                let created = try await client.send(
                    .POST, "/admin/people", json: ["name": "Sneaky", "roles": ["admin"], "username": "sneaky"])
                #expect(created.status == .forbidden, "\(username)")
                let deactivated = try await client.send(
                    .POST, "/admin/people/\(alexID)/deactivate", headers: ["If-Match": "1"])
                #expect(deactivated.status == .forbidden, "\(username)")
            }
            #expect(try await User.query(on: api.app.db).filter(\.$username == "sneaky").count() == 0)
        }
    }

    @Test func anotherOrganizationsAdministratorFindsNoOneHere() async throws {
        try await withDemoAPI { api in
            let other = try await Self.secondOrganization(api)
            let alex = api.user("alex")
            #expect(try await other.get("/admin/people/\(alex)").status == .notFound)
            #expect(
                try await other.send(.PATCH, "/admin/people/\(alex)", json: ["name": "X"], headers: ["If-Match": "1"])
                    .status == .notFound)
            #expect(
                try await other.send(.POST, "/admin/people/\(alex)/deactivate", headers: ["If-Match": "1"]).status
                    == .notFound)
            #expect(try await other.get("/admin/people/\(alex)/care-relationships").status == .notFound)
            #expect(try await other.get("/admin/people/\(alex)/proxies").status == .notFound)
            let found: AdminPeoplePageResponse = try await other.get("/admin/people?q=alex").decode()
            #expect(found.items.isEmpty)
            #expect(try await User.find(alex, on: api.app.db)!.deactivatedAt == nil)
        }
    }

    @Test func aChangeIsAuditedWithBeforeAndAfterButNeverANameOrBirthDate() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let alex = api.user("alex")
            let reply = try await admin.send(
                .PATCH, "/admin/people/\(alex)",
                json: ["name": "Alexander Rivera", "birthDate": "1988-04-13", "roles": ["patient", "proxy"]],
                headers: ["If-Match": "1"])
            #expect(reply.status == .ok)
            let event = try #require(try await Self.latestAudit("admin.person.update", api.app))
            #expect(event.actorID == api.user("admin"))
            #expect(event.recordID == alex)
            let change = try #require(AuditChange(json: event.detail))
            #expect(change.before?["roles"] == "patient")
            #expect(change.after?["roles"] == "patient,proxy")
            #expect(change.after?["name"] == "changed")
            #expect(change.after?["birthDate"] == "changed")
            let detail = event.detail ?? ""
            for secret in ["Alex", "Rivera", "1988"] { #expect(!detail.contains(secret), "\(secret)") }
        }
    }

    @Test func anAdministratorCannotDeactivateThemselvesOrDropTheirOwnAdminRole() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let me = api.user("admin")
            let deactivated = try await admin.send(.POST, "/admin/people/\(me)/deactivate", headers: ["If-Match": "1"])
            #expect(deactivated.status == .unprocessableEntity)
            let demoted = try await admin.send(
                .PATCH, "/admin/people/\(me)", json: ["roles": ["staff"]], headers: ["If-Match": "1"])
            #expect(demoted.status == .unprocessableEntity)
            #expect(demoted.json["field"] as? String == "roles")
            let reset = try await admin.send(
                .POST, "/admin/people/\(me)/temporary-password", headers: ["If-Match": "1"])
            #expect(reset.status == .unprocessableEntity)
            #expect(try await User.find(me, on: api.app.db)!.version == 1)
        }
    }

    @Test func deactivatingAlexEndsHisSessionsAndAPITokensAtOnce() async throws {
        try await withDemoAPI { api in
            let browser = api.browser.newWindow()
            try await browser.signIn("alex")
            #expect(try await browser.get("/messages").status == .ok)
            let alexAPI = try await api.client("alex")
            #expect(try await alexAPI.get("/unread-counts").status == .ok)

            let admin = try await api.client("admin")
            let reply = try await admin.send(
                .POST, "/admin/people/\(api.user("alex"))/deactivate", headers: ["If-Match": "1"])
            #expect(reply.status == .ok)
            #expect(try reply.decode(AdminPersonResponse.self).active == false)

            let page = try await browser.get("/messages")
            #expect(page.status == .seeOther)
            #expect(page.location?.hasPrefix("/sign-in") == true)
            #expect(try await alexAPI.get("/unread-counts").status == .unauthorized)
            #expect(try await UserSession.query(on: api.app.db).filter(\.$user.$id == api.user("alex")).count() == 0)
            let event = try #require(try await Self.latestAudit("admin.person.deactivate", api.app))
            #expect(
                AuditChange(json: event.detail) == AuditChange(before: ["active": "true"], after: ["active": "false"]))
        }
    }

    @Test func aDeactivatedUserIsToldTheAccountIsNotActiveOnlyAfterTheRightPassword() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let alex = api.user("alex")
            _ = try await admin.send(.POST, "/admin/people/\(alex)/deactivate", headers: ["If-Match": "1"])

            let guesser = api.browser.newWindow()
            let wrong = try await guesser.signIn("alex", password: "not-the-password")
            #expect(wrong.status == .unauthorized)
            #expect(!wrong.body.contains("not active"))
            let right = try await guesser.signIn("alex")
            #expect(right.status == .forbidden)
            #expect(right.body.contains("This account is not active"))
            #expect(right.sessionCookie == nil)

            _ = try await admin.send(.POST, "/admin/people/\(alex)/reactivate", headers: ["If-Match": "2"])
            let again = try await api.browser.newWindow().signIn("alex")
            #expect(again.status == .seeOther)
        }
    }

    @Test func aDeactivatedProviderIsNoLongerOfferedToPatients() async throws {
        try await withDemoAPI { api in
            let alex = try await api.client("alex")
            let general = api.ids.types["General Message"]!
            let before: [RecipientResponse] = try await alex.get("/recipients?type=\(general)").decode()
            #expect(before.contains { $0.id == api.user("mchen") })

            let admin = try await api.client("admin")
            _ = try await admin.send(.POST, "/admin/people/\(api.user("mchen"))/deactivate", headers: ["If-Match": "1"])
            let after: [RecipientResponse] = try await alex.get("/recipients?type=\(general)").decode()
            #expect(!after.contains { $0.id == api.user("mchen") })
            #expect(after.contains { $0.id == api.user("ohaddad") })
        }
    }

    @Test func aTemporaryPasswordMustBeReplacedAtTheNextSignInAndNothingElseWorksUntilThen() async throws {
        try await withDemoAPI { api in
            let alexAPI = try await api.client("alex")
            let admin = try await api.client("admin")
            let reply = try await admin.send(
                .POST, "/admin/people/\(api.user("alex"))/temporary-password", headers: ["If-Match": "1"])
            #expect(reply.status == .ok)
            #expect(reply.headers.first(name: .cacheControl) == "no-store")
            let result: AdminTemporaryPasswordResponse = try reply.decode()
            let temporary = result.temporaryPassword
            #expect(temporary.count >= 12)
            #expect(result.person.mustChangePassword)
            let stored = try await User.find(api.user("alex"), on: api.app.db)!
            #expect(stored.passwordHash != temporary)
            #expect(!(stored.passwordHash ?? "").contains(temporary))

            let refused = try await alexAPI.get("/unread-counts")
            #expect(refused.status == .forbidden)
            #expect(refused.json["code"] as? String == "password_change_required")

            let browser = api.browser.newWindow()
            #expect(try await browser.signIn("alex").status == .unauthorized)
            let signedIn = try await browser.signIn("alex", password: temporary)
            #expect(signedIn.location == "/choose-password")
            #expect(try await browser.get("/messages").location == "/choose-password")
            #expect(try await browser.get("/choose-password").body.contains("Choose a New Password"))

            let short = try await browser.post(
                "/choose-password",
                ["current_password": temporary, "new_password": "short", "confirm_password": "short"])
            #expect(short.status == .unprocessableEntity)
            let same = try await browser.post(
                "/choose-password",
                ["current_password": temporary, "new_password": temporary, "confirm_password": temporary])
            #expect(same.status == .unprocessableEntity)
            let mismatch = try await browser.post(
                "/choose-password",
                [
                    "current_password": temporary, "new_password": "a-long-new-password",
                    "confirm_password": "a-long-other-password",
                ])
            #expect(mismatch.status == .unprocessableEntity)
            let wrongCurrent = try await browser.post(
                "/choose-password",
                [
                    "current_password": "guess-guess-guess", "new_password": "a-long-new-password",
                    "confirm_password": "a-long-new-password",
                ])
            #expect(wrongCurrent.status == .unprocessableEntity)
            let chosen = try await browser.post(
                "/choose-password",
                [
                    "current_password": temporary, "new_password": "a-long-new-password",
                    "confirm_password": "a-long-new-password",
                ])
            #expect(chosen.status == .seeOther)
            #expect(try await browser.get("/messages").status == .ok)
            // A new password revokes every API token: one made before it may be in the wrong hands.
            #expect(try await alexAPI.get("/unread-counts").status == .unauthorized)
            #expect(
                try await api.browser.newWindow().signIn("alex", password: "a-long-new-password").status == .seeOther)

            let set = try #require(try await Self.latestAudit("admin.person.temporary_password", api.app))
            let choose = try #require(try await Self.latestAudit("account.password.choose", api.app))
            for event in [set, choose] {
                #expect(!(event.detail ?? "").contains(temporary))
                #expect(!(event.detail ?? "").contains("a-long-new-password"))
            }
            #expect(AuditChange(json: set.detail)?.after?["mustChangePassword"] == "true")
        }
    }

    @Test func aDeactivatedPoolMemberIsOfferedNoWork() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let created = try await admin.send(
                .POST, "/admin/people",
                json: ["name": "Pat Lee", "roles": ["staff"], "username": "plee", "credentials": "RN"])
            let pat: AdminPersonResponse = try created.decode()
            let member = PoolMember()
            member.$pool.id = api.ids.pools["Nurse Triage"]!
            member.$user.id = pat.id
            try await member.create(on: api.app.db)

            let alex = try await api.client("alex")
            let conversation = try await alex.start(
                api.ids.start("Medical Question", to: api.ids.pool("Nurse Triage"), subject: "Rash"))
            let torres = try await api.client("ntorres")
            let before: [PersonResponse] = try await torres.get("/conversations/\(conversation)/assignees").decode()
            #expect(before.contains { $0.id == pat.id })

            _ = try await admin.send(.POST, "/admin/people/\(pat.id)/deactivate", headers: ["If-Match": "1"])
            let after: [PersonResponse] = try await torres.get("/conversations/\(conversation)/assignees").decode()
            #expect(after.contains { $0.id == api.user("ntorres") })
            #expect(!after.contains { $0.id == pat.id })
        }
    }

    @Test func aCredentialOfADeactivatedUserSignsNoOneInEvenIfItSlippedThrough() async throws {
        try await withDemoAPI { api in
            let browser = api.browser.newWindow()
            try await browser.signIn("alex")
            let alexAPI = try await api.client("alex")
            // Deactivated behind the use case's back: the session and token rows are still there.
            try await User.query(on: api.app.db).filter(\.$id == api.user("alex")).set(\.$deactivatedAt, to: Date())
                .update()
            #expect(try await UserSession.query(on: api.app.db).filter(\.$user.$id == api.user("alex")).count() == 1)
            #expect(try await browser.get("/messages").location?.hasPrefix("/sign-in") == true)
            #expect(try await alexAPI.get("/unread-counts").status == .unauthorized)
        }
    }
}
