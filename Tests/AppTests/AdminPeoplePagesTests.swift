import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The People pages, as an administrator's browser without JavaScript uses them.
@Suite struct AdminPeoplePagesTests {
    func withAdmin(_ body: (DemoAPI, TestBrowser) async throws -> Void) async throws {
        try await withDemoAPI { api in
            let admin = api.browser.newWindow()
            try await admin.signIn("admin")
            try await body(api, admin)
        }
    }

    @Test func theListPagesWithNextAndPreviousLinks() async throws {
        try await withAdmin { api, admin in
            for number in 1...27 {
                let created = try await admin.post(
                    "/administration/people",
                    [
                        "name": String(format: "Listed Person %02d", number), "role_patient": "on",
                        "birth_date": "2001-02-03",
                    ])
                #expect(created.status == .seeOther)
            }
            let first = try await admin.get("/administration/people?q=listed")
            #expect(first.status == .ok)
            #expect(first.body.contains("Listed Person 25"))
            #expect(!first.body.contains("Listed Person 26"))
            #expect(first.body.contains("href=\"/administration/people?q=listed&amp;page=2\""))
            #expect(!first.body.contains("rel=\"prev\""))
            let second = try await admin.get("/administration/people?q=listed&page=2")
            #expect(second.body.contains("Listed Person 27"))
            #expect(!second.body.contains("Listed Person 01"))
            #expect(second.body.contains("href=\"/administration/people?q=listed\" rel=\"prev\""))
            #expect(!second.body.contains("rel=\"next\""))
            let born = try await admin.get("/administration/people?born=1988-04-12")
            #expect(born.body.contains("Alex Rivera"))
            #expect(!born.body.contains("Jordan Rivera"))
        }
    }

    @Test func aFormWithProblemsIsShownAgainWithEachBesideItsField() async throws {
        try await withAdmin { api, admin in
            let page = try await admin.post(
                "/administration/people",
                [
                    "name": "", "role_patient": "on", "username": "alex", "birth_date": "soon", "email": "nope",
                    "record_number": "rb-100234",
                ])
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.contains("id=\"name-error\""))
            #expect(page.body.contains("id=\"birth_date-error\""))
            #expect(page.body.contains("id=\"email-error\""))
            #expect(page.body.contains("Another person here has that record number."))
            #expect(page.body.contains("aria-describedby=\"record_number-hint record_number-error\""))
            #expect(page.body.contains("That username is taken"))
            #expect(page.body.contains("role=\"alert\""))
            #expect(try await User.query(on: api.app.db).count() == 9)
        }
    }

    @Test func editingWithAStaleVersionIsRefusedAndChangesNothing() async throws {
        try await withAdmin { api, admin in
            let alex = api.user("alex")
            let form = try await admin.get("/administration/people/\(alex)/edit")
            #expect(form.body.contains("name=\"version\" value=\"1\""))
            let fields = ["name": "Alex Rivera", "role_patient": "on", "birth_date": "1988-04-12", "username": "alex"]
            let saved = try await admin.post(
                "/administration/people/\(alex)", fields.merging(["credentials": "BA", "version": "1"]) { $1 })
            #expect(saved.status == .seeOther)
            let stale = try await admin.post(
                "/administration/people/\(alex)", fields.merging(["credentials": "PhD", "version": "1"]) { $1 })
            #expect(stale.status == .conflict)
            #expect(stale.body.contains("Someone else changed this"))
            #expect(try await User.find(alex, on: api.app.db)!.credentials == "BA")
        }
    }

    @Test func afterEndTodayTheRelationshipSaysItEndsTodayAndOffersNoSecondEnd() async throws {
        try await withAdmin { api, admin in
            let alex = api.user("alex")
            let haddad = try await CareRelationship.query(on: api.app.db).filter(\.$patient.$id == alex)
                .filter(\.$provider.$id == api.user("ohaddad")).first()!
            let before = try await admin.get("/administration/people/\(alex)")
            #expect(before.body.components(separatedBy: ">End Today</button>").count == 3, "one for each relationship")
            let ended = try await admin.post(
                "/administration/people/\(alex)/care-relationships/\(haddad.id!)/end", ["version": "1"])
            let page = try await admin.get(ended.location!)
            #expect(page.body.contains("Ends today"))
            #expect(page.body.components(separatedBy: ">End Today</button>").count == 2, "only Dr. Chen's is left")
        }
    }

    @Test func deactivatingFromThePersonsPageSignsThemOut() async throws {
        try await withAdmin { api, admin in
            let alexBrowser = api.browser.newWindow()
            try await alexBrowser.signIn("alex")
            let alex = api.user("alex")
            let page = try await admin.get("/administration/people/\(alex)")
            #expect(page.body.contains("Deactivate Account"))
            let done = try await admin.post("/administration/people/\(alex)/deactivate", ["version": "1"])
            #expect(done.location == "/administration/people/\(alex)?done=deactivated")
            #expect(try await alexBrowser.get("/messages").location?.hasPrefix("/sign-in") == true)
            let shown = try await admin.get(done.location!)
            #expect(shown.body.contains("Reactivate Account"))
            #expect(shown.body.contains("Deactivated"))
        }
    }

    @Test func theTemporaryPasswordIsShownOnceAndNotCached() async throws {
        try await withAdmin { api, admin in
            let alex = api.user("alex")
            let page = try await admin.post("/administration/people/\(alex)/temporary-password", ["version": "1"])
            #expect(page.status == .ok)
            #expect(page.headers.first(name: .cacheControl) == "no-store")
            #expect(page.body.contains("id=\"temporary-password\""))
            let again = try await admin.get("/administration/people/\(alex)")
            #expect(again.body.contains("must choose a new password"))
        }
    }

    @Test func onlyThisOrganizationsAdministratorSeesThePages() async throws {
        try await withDemoAPI { api in
            let alex = api.user("alex")
            for username in ["alex", "jordan", "mchen", "ntorres"] {
                let browser = api.browser.newWindow()
                try await browser.signIn(username)
                #expect(try await browser.get("/administration/people").status == .forbidden, "\(username)")
                #expect(try await browser.get("/administration/people/\(alex)").status == .forbidden, "\(username)")
                let posted = try await browser.post("/administration/people/\(alex)/deactivate", ["version": "1"])
                #expect(posted.status == .forbidden, "\(username)")
            }
            let world = try await WorldBuilder.make(api.app, name: "Other Clinic")
            let otherAdmin = try await world.person("Other Admin", roles: [.admin])
            let hash = try await api.app.password.async.hash(DemoOrganization.password)
            try await User.query(on: api.app.db).filter(\.$id == otherAdmin).set(\.$passwordHash, to: hash).update()
            let other = api.browser.newWindow()
            try await other.signIn("other.admin")
            #expect(try await other.get("/administration/people/\(alex)").status == .notFound)
            #expect(
                try await other.post("/administration/people/\(alex)/deactivate", ["version": "1"]).status == .notFound)
            #expect(try await User.find(alex, on: api.app.db)!.deactivatedAt == nil)
        }
    }

    @Test func anAdministratorsOwnPageOffersNeitherDeactivationNorATemporaryPassword() async throws {
        try await withAdmin { api, admin in
            let own = try await admin.get("/administration/people/\(api.user("admin"))")
            #expect(own.status == .ok)
            #expect(!own.body.contains("Deactivate Account"))
            #expect(!own.body.contains("Set a Temporary Password"))
            let other = try await admin.get("/administration/people/\(api.user("mchen"))")
            #expect(other.body.contains("Deactivate Account"))
            #expect(other.body.contains("Set a Temporary Password"))
            #expect(!other.body.contains("Add a Care Relationship"))
        }
    }

    @Test func aProxysPageListsThePatientsTheyActFor() async throws {
        try await withAdmin { api, admin in
            let page = try await admin.get("/administration/people/\(api.user("jordan"))")
            #expect(page.body.contains("Proxy For"))
            #expect(page.body.contains("Alex Rivera"))
            #expect(page.body.contains("Sam Rivera"))
        }
    }
}
