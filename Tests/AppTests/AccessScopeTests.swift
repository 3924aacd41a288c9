import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// The one SQL visibility predicate against the Swift rules it states: for every actor of a small world and every
/// conversation in it, `AccessScope`'s SQL returns exactly what `ConversationRules.side` says the actor sees, and the
/// store puts them on the same side. If the two drift apart, this fails.
@Suite struct AccessScopeTests {
    @Test func theSQLScopeReturnsExactlyWhatTheRulesLetEachActorSee() async throws {
        try await withCarebox { app in
            let world = try await WorldBuilder.make(app)
            let triage = try await world.pool("Nurse Triage")
            let billing = try await world.pool("Billing")
            let alex = try await world.patient("Alex Rivera")
            let sam = try await world.patient("Sam Rivera")
            let jordan = try await world.person("Jordan Rivera", roles: [.patient, .proxy])
            let expired = try await world.person("Ex Proxy", roles: [.proxy])
            let chen = try await world.provider("Maya Chen")
            let haddad = try await world.provider("Omar Haddad")
            let park = try await world.provider("Lena Park")
            let torres = try await world.staff("Nina Torres", in: [triage])
            let okafor = try await world.staff("Ben Okafor", in: [billing])
            let admin = try await world.person("Avery Stone", roles: [.admin])
            // A provider who is also a patient of the organisation, with Dr. Chen as their doctor.
            let haddadAsPatient = haddad
            try await UserRole(userID: haddad, role: .patient).create(on: app.db)
            try await world.proxyGrant(jordan, for: alex)
            try await world.proxyGrant(jordan, for: sam)
            try await ProxyGrant(
                organizationID: world.organization, proxyID: expired, patientID: alex, relationship: "friend",
                period: ActivePeriod(from: CalendarDate("2020-01-01")!, until: CalendarDate("2021-01-01")!)
            ).create(on: app.db)
            for patient in [alex, sam, jordan, haddadAsPatient] { try await world.careRelationship(patient, chen) }
            try await world.careRelationship(alex, haddad)

            var conversations = [
                try await world.conversation(by: alex, to: .provider(UserID(chen))),
                try await world.conversation(by: alex, to: .provider(UserID(chen)), confidential: true),
                try await world.conversation(by: alex, to: .pool(PoolID(triage))),
                try await world.conversation(by: alex, to: .provider(UserID(haddad))),
                try await world.conversation(by: jordan, for: sam, to: .provider(UserID(chen))),
                try await world.conversation(by: jordan, to: .pool(PoolID(billing))),
                try await world.conversation(by: haddadAsPatient, to: .provider(UserID(chen))),
                try await world.conversation(by: chen, for: sam, to: .provider(UserID(chen))),
            ]
            // Assigned away from its pool: the assignee sees it too.
            let assigned = try await world.conversation(by: alex, to: .pool(PoolID(triage)), body: "Hello, assigned")
            _ = try await CareTeamWork(store: try await world.store(as: torres)).assign(assigned, to: chen)
            conversations.append(assigned)

            let all = try await Conversation.query(on: app.db).all()
            #expect(all.count == conversations.count)
            for user in [alex, sam, jordan, expired, chen, haddad, park, torres, okafor, admin] {
                guard let store = try? await world.store(as: user) else {
                    // Admins have no messaging at all.
                    #expect(user == admin)
                    continue
                }
                let actor = store.context.actor
                let rows = try await store.sql.raw(
                    "SELECT conversations.id FROM conversations WHERE \(store.scope.visible())"
                ).all()
                let sqlSees = Set(try rows.map { try $0.decode(column: "id", as: UUID.self) })
                let swiftSees = Set(all.filter { ConversationRules.canSee(actor, $0.facts) }.map { $0.id! })
                #expect(sqlSees == swiftSees, "actor \(user)")
                // Search is held to the same rules: a word every conversation has finds exactly what they may see.
                let found = try await store.search(SearchQuery(words: ["hello"]), after: nil, limit: 100).items
                #expect(Set(found.map(\.id)) == swiftSees, "search by \(user)")
                for conversation in all where swiftSees.contains(conversation.id!) {
                    let row = try await store.conversation(conversation.id!)
                    #expect(row.side == ConversationRules.side(of: actor, in: conversation.facts))
                }
            }
        }
    }

    /// With `proxy` closed to messaging, a parent who is also a patient keeps their own messages and loses their
    /// child's: gating goes by the role being acted in, not by any role the login holds.
    @Test func closingMessagingToProxiesTakesAwayWhatAParentReadsForTheirChild() async throws {
        try await withCarebox { app in
            let world = try await WorldBuilder.make(app)
            let chen = try await world.provider("Maya Chen")
            let jordan = try await world.person("Jordan Rivera", roles: [.patient, .proxy])
            let sam = try await world.patient("Sam Rivera")
            try await world.proxyGrant(jordan, for: sam)
            try await world.careRelationship(sam, chen)
            try await world.careRelationship(jordan, chen)
            let samsConversation = try await world.conversation(by: jordan, for: sam, to: .provider(UserID(chen)))
            let jordansOwn = try await world.conversation(by: jordan, to: .provider(UserID(chen)))

            let organization = try await Organization.find(world.organization, on: app.db)!
            organization.messagingAccountTypes = "patient,provider,staff"
            try await organization.save(on: app.db)
            // A fresh cache entry, as every server has within 30 s.
            app.organizations = OrganizationCache()

            let store = try await world.store(as: jordan)
            #expect(store.context.actor.proxyFor.isEmpty)
            _ = try await store.conversation(jordansOwn)
            await #expect(throws: MessagingError.notFound) { try await store.conversation(samsConversation) }
            await #expect(throws: MessagingError.notFound) {
                try await SendMessage(store: store).reply(to: samsConversation, body: .text("Hi"), idempotencyKey: nil)
            }
        }
    }
}
