import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Message types and pools through the API and pages, and what patients and the care team are then offered.
@Suite struct AdminConfigTypesAndPoolsTests {
    func names(_ reply: APIClient.Reply) throws -> [String] {
        try reply.decode([MessageTypeResponse].self).map(\.name)
    }

    @Test func aPoolAndATypeOfferingItReachAlexWithoutAttachments() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let pool: AdminPoolResponse = try await admin.send(.POST, "/admin/pools", json: ["name": "Pharmacy"])
                .decode()
            let added = try await admin.send(
                .POST, "/admin/pools/\(pool.id)/members", json: ["userId": demo.user("ntorres").uuidString])
            #expect(try added.decode(AdminPoolResponse.self).members.map(\.name) == ["Nina Torres, RN"])
            let created = try await admin.send(
                .POST, "/admin/message-types",
                json: [
                    "name": "Medication Question", "description": "Questions about your medicines.",
                    "offersCareTeam": true, "poolIds": [pool.id.uuidString], "allowsAttachments": false,
                ])
            #expect(created.status == .created)
            let type: AdminMessageTypeResponse = try created.decode()
            #expect(type.position == 5)
            #expect(type.startedBy == ["patient", "proxy", "care_team"])

            let alex = try await demo.client("alex")
            #expect(try names(try await alex.get("/message-types")).last == "Medication Question")
            let recipients: [RecipientResponse] = try await alex.get("/recipients?type=\(type.id)").decode()
            #expect(recipients.map(\.name).contains("Pharmacy"))
            #expect(recipients.map(\.name).contains("Dr. Maya Chen"))

            try await demo.browser.signIn("alex")
            let compose = try await demo.browser.get("/messages/new?type=\(type.id)")
            #expect(compose.body.contains("Medication Question"))
            #expect(compose.body.contains("Pharmacy"))
            #expect(!compose.body.contains("Add Attachment"))
        }
    }

    @Test func aRetiredTypeIsOfferedNoMoreButItsConversationsOpenAndTakeReplies() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let conversation = try await alex.start(
                demo.ids.start("Prescription Renewal", to: demo.ids.provider("mchen")))
            let admin = try await demo.client("admin")
            let id = demo.ids.types["Prescription Renewal"]!
            #expect(try await admin.send(.POST, "/admin/message-types/\(id)/retire").status == .preconditionRequired)
            let retired = try await admin.send(.POST, "/admin/message-types/\(id)/retire", headers: ["If-Match": "1"])
            #expect(try retired.decode(AdminMessageTypeResponse.self).retired)

            #expect(!(try names(try await alex.get("/message-types"))).contains("Prescription Renewal"))
            let refused = try await alex.send(
                .POST, "/conversations", json: demo.ids.start("Prescription Renewal", to: demo.ids.provider("mchen")))
            #expect(refused.status == .unprocessableEntity)
            #expect(try await alex.get("/recipients?type=\(id)").status == .unprocessableEntity)
            #expect(try await alex.get("/conversations/\(conversation)").status == .ok)
            #expect(try await alex.reply(conversation).status == .created)
            try await demo.browser.signIn("alex")
            #expect(!(try await demo.browser.get("/messages/new")).body.contains("Prescription Renewal"))

            let restored = try await admin.send(.POST, "/admin/message-types/\(id)/restore", headers: ["If-Match": "2"])
            #expect(restored.status == .ok)
            #expect(try names(try await alex.get("/message-types")).contains("Prescription Renewal"))
        }
    }

    @Test func whoMayStartATypeIsHonouredForPatientsProxiesAndTheCareTeam() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let id = demo.ids.types["General Message"]!
            let changed = try await admin.send(
                .PATCH, "/admin/message-types/\(id)", json: ["startedBy": ["patient"]], headers: ["If-Match": "1"])
            #expect(try changed.decode(AdminMessageTypeResponse.self).startedBy == ["patient"])

            let jordan = try await demo.client("jordan")
            let asProxy = try await jordan.send(
                .POST, "/conversations",
                json: demo.ids.start("General Message", to: demo.ids.provider("mchen"), patient: "alex"))
            #expect(asProxy.status == .unprocessableEntity)
            let asPatient = try await jordan.send(
                .POST, "/conversations", json: demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            #expect(asPatient.status == .created)

            let chen = try await demo.client("mchen")
            let fromCareTeam = try await chen.send(
                .POST, "/conversations",
                json: demo.ids.start("General Message", to: demo.ids.provider("mchen"), patient: "alex"))
            #expect(fromCareTeam.status == .unprocessableEntity)
            try await demo.browser.signIn("mchen")
            let compose = try await demo.browser.get("/care-team/new")
            #expect(compose.status == .ok)
            #expect(!compose.body.contains("General Message"))
            #expect(compose.body.contains("Medical Question"))
        }
    }

    @Test func aRetiredPoolIsNotOffered() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let pool = demo.ids.pools["Billing Office"]!
            let retired = try await admin.send(.POST, "/admin/pools/\(pool)/retire", headers: ["If-Match": "1"])
            #expect(try retired.decode(AdminPoolResponse.self).retired)
            let alex = try await demo.client("alex")
            let billing = demo.ids.types["Billing Question"]!
            let offered: [RecipientResponse] = try await alex.get("/recipients?type=\(billing)").decode()
            #expect(offered.isEmpty)
            let refused = try await alex.send(
                .POST, "/conversations", json: demo.ids.start("Billing Question", to: demo.ids.pool("Billing Office")))
            #expect(refused.status == .unprocessableEntity)
            let okafor = try await demo.client("bokafor")
            let fromPool = try await okafor.send(
                .POST, "/conversations",
                json: demo.ids.start("General Message", to: demo.ids.pool("Billing Office"), patient: "alex"))
            #expect(fromPool.status == .unprocessableEntity)
            try await demo.browser.signIn("bokafor")
            #expect(!(try await demo.browser.get("/care-team/new")).body.contains("Billing Office"))
        }
    }

    @Test func typeAndPoolInputIsCheckedNamingTheField() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let cases: [([String: Any], String)] = [
                (["name": ""], "name"),
                (["name": "General Message"], "name"),
                (["name": String(repeating: "n", count: 101)], "name"),
                (["name": "X", "description": String(repeating: "d", count: 501)], "description"),
                (["name": "X", "startedBy": ["everyone"]], "startedBy"),
                (["name": "X", "startedBy": []], "startedBy"),
                (["name": "X", "offersCareTeam": false], "recipients"),
                (["name": "X", "poolIds": [UUID().uuidString]], "poolIds"),
            ]
            for (body, field) in cases {
                let reply = try await admin.send(.POST, "/admin/message-types", json: body)
                #expect(reply.status == .unprocessableEntity, "\(body)")
                #expect(reply.json["field"] as? String == field, "\(body)")
            }
            #expect(
                try await admin.send(.POST, "/admin/pools", json: ["name": "Nurse Triage"]).status
                    == .unprocessableEntity)
            let pool = demo.ids.pools["Nurse Triage"]!
            let patient = try await admin.send(
                .POST, "/admin/pools/\(pool)/members", json: ["userId": demo.user("alex").uuidString])
            #expect(patient.status == .unprocessableEntity)
            #expect(patient.json["field"] as? String == "userId")
        }
    }

    @Test func staleVersionsConflictAndChangeNothing() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let id = demo.ids.types["General Message"]!
            #expect(
                try await admin.send(
                    .PATCH, "/admin/message-types/\(id)", json: ["name": "Hello"], headers: ["If-Match": "1"]
                )
                .status == .ok)
            let stale = try await admin.send(
                .PATCH, "/admin/message-types/\(id)", json: ["name": "Again"], headers: ["If-Match": "1"])
            #expect(stale.status == .conflict)
            #expect(
                try await admin.get("/admin/message-types/\(id)").decode(AdminMessageTypeResponse.self).name == "Hello")
            let pool = demo.ids.pools["Nurse Triage"]!
            #expect(
                try await admin.send(
                    .PATCH, "/admin/pools/\(pool)", json: ["name": "Nurses"], headers: ["If-Match": "7"]
                )
                .status == .conflict)
        }
    }

    @Test func anotherOrganizationsAdministratorGetsNotFoundAndOthersAreForbidden() async throws {
        try await withDemoAPI { demo in
            let other = try await WorldBuilder.make(demo.app, name: "Lakeside Clinic")
            _ = try await other.person("Lee Admin", roles: [.admin])
            let lee = try await demo.client("lee.admin")
            let type = demo.ids.types["General Message"]!
            let pool = demo.ids.pools["Nurse Triage"]!
            #expect(try await lee.get("/admin/message-types/\(type)").status == .notFound)
            #expect(
                try await lee.send(.POST, "/admin/message-types/\(type)/retire", headers: ["If-Match": "1"]).status
                    == .notFound)
            #expect(try await lee.get("/admin/pools/\(pool)").status == .notFound)
            #expect(
                try await lee.send(.PATCH, "/admin/pools/\(pool)", json: ["name": "Mine"], headers: ["If-Match": "1"])
                    .status == .notFound)
            #expect(
                try await lee.get("/admin/message-types").decode([AdminMessageTypeResponse].self).map(\.name)
                    == ["General Message"])
            let admin = try await demo.client("admin")
            let mine: AdminPoolResponse = try await admin.send(.POST, "/admin/pools", json: ["name": "Pharmacy"])
                .decode()
            let stranger = try await admin.send(
                .POST, "/admin/pools/\(mine.id)/members",
                json: [
                    "userId": try await User.query(on: demo.app.db).filter(\.$username == "lee.admin").first()!.id!
                        .uuidString
                ])
            #expect(stranger.status == .unprocessableEntity)
            for username in ["alex", "jordan", "mchen", "bokafor"] {
                let client = try await demo.client(username)
                #expect(try await client.get("/admin/message-types").status == .forbidden)
                #expect(try await client.get("/admin/pools").status == .forbidden)
                #expect(try await client.get("/admin/holidays").status == .forbidden)
            }
        }
    }

    @Test func movingATypePutsItWherePatientsSeeIt() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let id = demo.ids.types["Appointment Request"]!
            let reply = try await admin.send(.POST, "/admin/message-types/\(id)/move", json: ["position": 0])
            #expect(
                try reply.decode([AdminMessageTypeResponse].self).map(\.name) == [
                    "Appointment Request", "General Message", "Medical Question", "Prescription Renewal",
                    "Billing Question",
                ])
            let alex = try await demo.client("alex")
            #expect(try names(try await alex.get("/message-types")).first == "Appointment Request")
            let outside = try await admin.send(.POST, "/admin/message-types/\(id)/move", json: ["position": 5])
            #expect(outside.status == .unprocessableEntity)
            #expect(outside.json["field"] as? String == "position")
        }
    }

    @Test func changesAreAuditedWithBeforeAndAfter() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let pool: AdminPoolResponse = try await admin.send(.POST, "/admin/pools", json: ["name": "Pharmacy"])
                .decode()
            _ = try await admin.send(
                .PATCH, "/admin/pools/\(pool.id)", json: ["name": "Pharmacy Team"], headers: ["If-Match": "1"])
            let id = demo.ids.types["Billing Question"]!
            _ = try await admin.send(
                .PATCH, "/admin/message-types/\(id)", json: ["allowsAttachments": false], headers: ["If-Match": "1"])
            let events = try await AuditEvent.query(on: demo.app.db).filter(
                \.$action ~~ [
                    "admin.pool.create", "admin.pool.rename", "admin.message_type.update",
                ]
            ).sort(\.$sequence).all()
            #expect(events.map(\.action) == ["admin.pool.create", "admin.pool.rename", "admin.message_type.update"])
            let changes = events.map { AuditChange(json: $0.detail) }
            #expect(changes[0]?.before == nil)
            #expect(changes[0]?.after?["name"] == "Pharmacy")
            #expect(changes[1]?.before?["name"] == "Pharmacy" && changes[1]?.after?["name"] == "Pharmacy Team")
            #expect(changes[2]?.changedFields == ["allows_attachments"])
        }
    }

    @Test func theAdministratorBuildsThePharmacyFlowWithPlainFormPosts() async throws {
        try await withDemoAPI { demo in
            let browser = demo.browser
            try await browser.signIn("admin")
            let created = try await browser.post("/administration/pools", ["name": "Pharmacy"])
            #expect(created.status == .seeOther)
            let poolPath = try #require(created.location)
            let poolPage = try await browser.get(poolPath)
            #expect(poolPage.body.contains("Add member"))
            let added = try await browser.post(
                poolPath + "/members", ["user": demo.user("ntorres").uuidString, "version": "1"])
            #expect(added.status == .seeOther)
            #expect(try await browser.get(poolPath).body.contains("Nina Torres, RN"))

            let pool = try await Pool.query(on: demo.app.db).filter(\.$name == "Pharmacy").first()!
            let newPage = try await browser.get("/administration/message-types/new")
            #expect(newPage.body.contains("pool_\(pool.id!.uuidString)"))
            let refused = try await browser.post(
                "/administration/message-types", ["name": "", "start_patient": "on", "offers_care_team": "on"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("role=\"alert\""))
            let type = try await browser.post(
                "/administration/message-types",
                [
                    "name": "Medication Question", "description": "Questions about your medicines.",
                    "start_patient": "on", "start_proxy": "on", "offers_care_team": "on",
                    "pool_\(pool.id!.uuidString)": "on", "allows_confidentiality": "on",
                ])
            #expect(type.status == .seeOther)
            let list = try await browser.get("/administration/message-types")
            #expect(list.body.contains("Medication Question"))
            #expect(list.body.contains("Care team providers, Pharmacy"))
            let stored = try await MessageType.query(on: demo.app.db).filter(\.$name == "Medication Question")
                .with(\.$pools).first()!
            #expect(!stored.allowsAttachments)
            #expect(stored.pools.map(\.name) == ["Pharmacy"])
            let edit = try await browser.get("/administration/message-types/\(stored.id!)")
            #expect(edit.body.contains("Retire message type"))
            #expect(edit.body.contains("value=\"1\""))
            let renamed = try await browser.post(
                "/administration/message-types/\(stored.id!)",
                [
                    "version": "1", "name": "Medicine Question", "start_patient": "on", "offers_care_team": "on",
                    "pool_\(pool.id!.uuidString)": "on",
                ])
            #expect(renamed.status == .seeOther)
            let stale = try await browser.post(
                "/administration/message-types/\(stored.id!)",
                ["version": "1", "name": "Medication Question", "start_patient": "on", "offers_care_team": "on"])
            #expect(stale.status == .conflict)
            #expect(stale.body.contains("Someone else changed this"))
            let retired = try await browser.post("/administration/message-types/\(stored.id!)/retire", ["version": "2"])
            #expect(retired.status == .seeOther)
            #expect(try await browser.get("/administration/message-types").body.contains("Retired"))
            let moved = try await browser.post(
                "/administration/message-types/\(stored.id!)/move", ["direction": "up"])
            #expect(moved.status == .seeOther)
            let movedType = try await MessageType.find(stored.id, on: demo.app.db)
            #expect(movedType?.position == 4)
            #expect(movedType?.name == "Medicine Question")
            #expect(movedType?.retiredAt != nil)
        }
    }
}
