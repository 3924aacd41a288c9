import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Care relationships and proxy grants as an administrator manages them, and what they change for patients and proxies.
@Suite struct AdminCareLinksTests {
    @Test func aCareRelationshipWithDrParkOffersHerToAlexOnNewMessage() async throws {
        try await withDemoAPI { api in
            let alex = try await api.client("alex")
            let general = api.ids.types["General Message"]!
            let before: [RecipientResponse] = try await alex.get("/recipients?type=\(general)").decode()
            #expect(!before.contains { $0.id == api.user("lpark") })

            let admin = try await api.client("admin")
            let reply = try await admin.send(
                .POST, "/admin/people/\(api.user("alex"))/care-relationships",
                json: ["providerId": api.user("lpark").uuidString, "kind": "specialist"])
            #expect(reply.status == .created)
            let relationship: AdminCareRelationshipResponse = try reply.decode()
            #expect(relationship.from == "2026-11-25")
            #expect(relationship.until == nil)
            #expect(relationship.active)
            #expect(relationship.provider.name == "Dr. Lena Park")

            let after: [RecipientResponse] = try await alex.get("/recipients?type=\(general)").decode()
            #expect(after.contains { $0.id == api.user("lpark") })

            let event = try #require(
                try await AuditEvent.query(on: api.app.db).filter(\.$action == "admin.care_relationship.create").first()
            )
            #expect(event.actingForID == api.user("alex"))
            let change = try #require(AuditChange(json: event.detail))
            #expect(change.before == nil)
            #expect(change.after?["providerId"] == api.user("lpark").uuidString)
            #expect(change.after?["kind"] == "specialist")
        }
    }

    @Test func theNewMessagePageOffersDrParkOnceAdminGivesAlexTheRelationshipThroughThePage() async throws {
        try await withDemoAPI { api in
            let admin = api.browser.newWindow()
            try await admin.signIn("admin")
            let alexID = api.user("alex")
            let page = try await admin.get("/administration/people/\(alexID)")
            #expect(page.status == .ok)
            #expect(page.body.contains("Add a Care Relationship"))
            #expect(page.body.contains("Dr. Lena Park"))
            let posted = try await admin.post(
                "/administration/people/\(alexID)/care-relationships",
                ["provider_id": api.user("lpark").uuidString, "kind": "specialist", "from": "2026-11-25", "until": ""])
            #expect(posted.status == .seeOther)
            #expect(posted.location == "/administration/people/\(alexID)?done=relationship-added")

            let alex = api.browser.newWindow()
            try await alex.signIn("alex")
            let general = api.ids.types["General Message"]!
            let compose = try await alex.get("/messages/new?type=\(general)")
            #expect(compose.body.contains("Dr. Lena Park"))
        }
    }

    @Test func aRelationshipFormWithProblemsShowsThemBesideTheFields() async throws {
        try await withDemoAPI { api in
            let admin = api.browser.newWindow()
            try await admin.signIn("admin")
            let alexID = api.user("alex")
            let page = try await admin.post(
                "/administration/people/\(alexID)/care-relationships",
                ["provider_id": "", "kind": "specialist", "from": "2026-11-25", "until": "2026-11-01"])
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.contains("id=\"provider_id-error\""))
            #expect(page.body.contains("role=\"alert\""))
        }
    }

    @Test func relationshipsAreCheckedFieldByField() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let path = "/admin/people/\(api.user("alex"))/care-relationships"
            let cases: [([String: Any], String)] = [
                (["providerId": api.user("mchen").uuidString, "kind": "primary_care"], "providerId"),
                (["providerId": api.user("ntorres").uuidString, "kind": "primary_care"], "providerId"),
                (["providerId": api.user("lpark").uuidString, "kind": "surgeon"], "kind"),
                (["providerId": api.user("lpark").uuidString, "kind": "specialist", "from": "2026-13-01"], "from"),
                (
                    [
                        "providerId": api.user("lpark").uuidString, "kind": "specialist", "from": "2026-11-25",
                        "until": "2026-11-24",
                    ], "until"
                ),
            ]
            for (json, field) in cases {
                let reply = try await admin.send(.POST, path, json: json)
                #expect(reply.status == .unprocessableEntity, "\(json)")
                #expect(reply.json["field"] as? String == field, "\(json)")
            }
            let dr = try await admin.send(
                .POST, "/admin/people/\(api.user("mchen"))/care-relationships",
                json: ["providerId": api.user("lpark").uuidString, "kind": "specialist"])
            #expect(dr.status == .unprocessableEntity)
        }
    }

    @Test func endingARelationshipSetsItsLastDayAndAStaleVersionChangesNothing() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let alex = api.user("alex")
            let list: [AdminCareRelationshipResponse] = try await admin.get(
                "/admin/people/\(alex)/care-relationships"
            ).decode()
            let haddad = try #require(list.first { $0.provider.id == api.user("ohaddad") })
            #expect(haddad.version == 1)

            let path = "/admin/people/\(alex)/care-relationships/\(haddad.id)/end"
            #expect(try await admin.send(.POST, path).status == .preconditionRequired)
            #expect(try await admin.send(.POST, path, headers: ["If-Match": "7"]).status == .conflict)
            let ended = try await admin.send(.POST, path, headers: ["If-Match": "1"])
            #expect(ended.status == .ok)
            let after: AdminCareRelationshipResponse = try ended.decode()
            #expect(after.until == "2026-11-25")
            #expect(after.version == 2)
            #expect(try await admin.send(.POST, path, headers: ["If-Match": "1"]).status == .conflict)

            let event = try #require(
                try await AuditEvent.query(on: api.app.db).filter(\.$action == "admin.care_relationship.end").first())
            #expect(
                AuditChange(json: event.detail) == AuditChange(before: ["until": ""], after: ["until": "2026-11-25"]))

            let other = try await AdminPeopleTests.secondOrganization(api)
            #expect(try await other.send(.POST, path, headers: ["If-Match": "2"]).status == .notFound)
            let alexClient = try await api.client("alex")
            #expect(try await alexClient.send(.POST, path, headers: ["If-Match": "2"]).status == .forbidden)
        }
    }

    @Test func aNewPersonIsGivenProxyAccessToAlexThroughThePagesAndSeesHim() async throws {
        try await withDemoAPI { api in
            let admin = api.browser.newWindow()
            try await admin.signIn("admin")
            let created = try await admin.post(
                "/administration/people",
                ["name": "Casey Rivera", "username": "crivera", "role_proxy": "on", "birth_date": ""])
            #expect(created.status == .seeOther)
            let casey = try #require(try await User.query(on: api.app.db).filter(\.$username == "crivera").first())
            #expect(created.location == "/administration/people/\(casey.id!)?done=created")

            let alexID = api.user("alex")
            let granted = try await admin.post(
                "/administration/people/\(alexID)/proxies",
                ["proxy_username": "crivera", "relationship": "caregiver", "from": "2026-11-25", "until": ""])
            #expect(granted.status == .seeOther)
            let page = try await admin.get("/administration/people/\(alexID)")
            #expect(page.body.contains("Casey Rivera"))
            #expect(page.body.contains("caregiver"))

            let event = try #require(
                try await AuditEvent.query(on: api.app.db).filter(\.$action == "admin.proxy_grant.create").first())
            #expect(event.actingForID == alexID)
            #expect(AuditChange(json: event.detail)?.after?["relationship"] == "caregiver")

            let caseyAPI = try await api.client("crivera")
            let actingFor: [ActingForResponse] = try await caseyAPI.get("/acting-for").decode()
            #expect(actingFor.map(\.patient.id) == [alexID])
        }
    }

    @Test func aProxyWhoseGrantIsRevokedNoLongerSeesThePatient() async throws {
        try await withDemoAPI { api in
            let alex = try await api.client("alex")
            let conversation = try await alex.start(
                api.ids.start("General Message", to: api.ids.provider("mchen"), subject: "Hi"))
            let jordan = try await api.client("jordan")
            let alexID = api.user("alex")
            #expect(try await jordan.get("/conversations/\(conversation)").status == .ok)
            let before: [ActingForResponse] = try await jordan.get("/acting-for").decode()
            #expect(before.contains { $0.patient.id == alexID })

            let admin = try await api.client("admin")
            let grants: [AdminProxyGrantResponse] = try await admin.get("/admin/people/\(alexID)/proxies").decode()
            let jordansGrant = try #require(grants.first { $0.proxy.id == api.user("jordan") })
            let path = "/admin/people/\(alexID)/proxies/\(jordansGrant.id)/revoke"
            #expect(try await admin.send(.POST, path, headers: ["If-Match": "9"]).status == .conflict)
            let revoked = try await admin.send(.POST, path, headers: ["If-Match": "1"])
            #expect(revoked.status == .ok)
            #expect(try revoked.decode(AdminProxyGrantResponse.self).until == "2026-11-24")

            let actingFor: [ActingForResponse] = try await jordan.get("/acting-for").decode()
            #expect(!actingFor.contains { $0.patient.id == alexID })
            #expect(try await jordan.get("/conversations/\(conversation)").status == .notFound)

            let event = try #require(
                try await AuditEvent.query(on: api.app.db).filter(\.$action == "admin.proxy_grant.revoke").first())
            #expect(event.actingForID == alexID)
            #expect(AuditChange(json: event.detail)?.after?["until"] == "2026-11-24")
        }
    }

    @Test func grantsAreCheckedAndScopedToTheOrganization() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let alexID = api.user("alex")
            let path = "/admin/people/\(alexID)/proxies"
            let duplicate = try await admin.send(
                .POST, path, json: ["proxyId": api.user("jordan").uuidString, "relationship": "spouse"])
            #expect(duplicate.status == .unprocessableEntity)
            #expect(duplicate.json["field"] as? String == "proxyId")
            let oddRelationship = try await admin.send(
                .POST, path, json: ["proxyId": api.user("ntorres").uuidString, "relationship": "pen pal"])
            #expect(oddRelationship.json["field"] as? String == "relationship")
            let other = try await AdminPeopleTests.secondOrganization(api)
            let foreign = try await other.send(
                .POST, path, json: ["proxyId": api.user("ntorres").uuidString, "relationship": "caregiver"])
            #expect(foreign.status == .notFound)
            let notAdmin = try await (try await api.client("jordan")).send(
                .POST, path, json: ["proxyId": api.user("ntorres").uuidString, "relationship": "caregiver"])
            #expect(notAdmin.status == .forbidden)
        }
    }

    @Test func grantingProxyAccessGivesThePersonTheProxyRole() async throws {
        try await withDemoAPI { api in
            let admin = try await api.client("admin")
            let alexID = api.user("alex")
            let granted = try await admin.send(
                .POST, "/admin/people/\(alexID)/proxies",
                json: ["proxyId": api.user("ohaddad").uuidString, "relationship": "sibling", "from": "2026-11-25"])
            #expect(granted.status == .created)
            let person: AdminPersonResponse = try await admin.get("/admin/people/\(api.user("ohaddad"))").decode()
            #expect(person.roles == ["proxy", "provider"])
            #expect(person.version == 2)
            let event = try #require(
                try await AuditEvent.query(on: api.app.db).filter(\.$action == "admin.person.update")
                    .filter(\.$recordID == api.user("ohaddad")).first())
            #expect(
                AuditChange(json: event.detail)
                    == AuditChange(before: ["roles": "provider"], after: ["roles": "proxy,provider"]))

            let grants: [AdminProxyGrantResponse] = try await admin.get("/admin/people/\(alexID)/proxies").decode()
            let grant = try #require(grants.first { $0.proxy.id == api.user("ohaddad") })
            let revoked = try await admin.send(
                .POST, "/admin/people/\(alexID)/proxies/\(grant.id)/revoke", headers: ["If-Match": "1"])
            #expect(revoked.status == .noContent)
            #expect(try await ProxyGrant.find(grant.id, on: api.app.db) == nil)
        }
    }
}
