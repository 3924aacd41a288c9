import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

extension Tag {
    /// Checks of how the database runs the hot paths; `swift test --filter QueryPlanTests` runs them alone.
    @Tag static var queryPlans: Self
}

/// The hot paths are index-driven: the inbox, opening a conversation, the In Basket page, recipient search and the
/// patient side a care-team reply tells by email never
/// read a whole table, so their cost depends on the page and not on how many messages exist. Each statement the store
/// runs is explained by the database itself; on PostgreSQL with sequential scans priced out, so a sequential scan in
/// the plan means no index can serve it.
@Suite(.tags(.queryPlans)) struct QueryPlanTests {
    @Test func theHotPathsReadThroughIndexes() async throws {
        try await withCarebox { app in
            let world = try await WorldBuilder.make(app)
            let triage = try await world.pool("Nurse Triage")
            let alex = try await world.patient("Alex Rivera")
            let jordan = try await world.person("Jordan Rivera", roles: [.patient, .proxy])
            let chen = try await world.provider("Maya Chen")
            let nina = try await world.staff("Nina Torres", in: [triage])
            try await world.proxyGrant(jordan, for: alex)
            try await world.careRelationship(alex, chen)
            let id = try await world.conversation(by: alex, to: .provider(UserID(chen)))
            _ = try await world.conversation(by: alex, to: .pool(PoolID(triage)))

            let cursor = PageCursor(time: Date(), id: UUID())
            var statements: [(String, MessagingStore, SQLQueryString)] = []
            for (name, user) in [("patient", alex), ("proxy and patient", jordan)] {
                let store = try await world.store(as: user)
                statements += [
                    ("inbox of a \(name)", store, store.folderQuery(.inbox, patient: nil, after: nil, limit: 25)),
                    (
                        "next inbox page of a \(name)", store,
                        store.folderQuery(.inbox, patient: nil, after: cursor, limit: 25)
                    ),
                    ("open a conversation as a \(name)", store, store.conversationQuery(id)),
                ]
            }
            let patient = try await world.store(as: alex)
            statements += [
                ("latest messages", patient, patient.messagesQuery(in: id, upTo: 60, limit: 50)),
                ("earlier messages", patient, patient.messagesQuery(in: id, upTo: 11, limit: 51)),
                (
                    "recipient search: the patient's care relationships", patient,
                    """
                    SELECT care_relationships.* FROM care_relationships
                    JOIN users ON users.id = care_relationships.provider_id AND users.deactivated_at IS NULL
                    WHERE care_relationships.patient_id = \(bind: alex)
                    """
                ),
            ]
            // Who on the patient side a care-team reply tells by email: asked in every such reply's transaction.
            let patientSide = try #require(
                NotificationOutbox.patientSide(
                    of: alex, confidential: false, patient.context.organization, today: patient.context.today))
            statements.append(
                ("the patient side a care-team reply tells", patient, "SELECT users.id FROM users WHERE \(patientSide)")
            )
            statements.append(
                (
                    "search of a patient", patient,
                    patient.searchQuery(SearchQuery(words: ["refill"]), after: nil, limit: 25)
                ))
            for (name, user) in [("provider", chen), ("pool member", nina)] {
                let store = try await world.store(as: user)
                let today = store.context.today
                var byPatient = SearchQuery(words: ["refill"], careTeamOnly: true)
                byPatient.patientName = ["alex"]
                statements += [
                    (
                        "In Basket search of a \(name)", store,
                        store.searchQuery(SearchQuery(words: ["refill"], careTeamOnly: true), after: nil, limit: 25)
                    ),
                    (
                        "In Basket search by patient of a \(name)", store,
                        store.searchQuery(byPatient, after: nil, limit: 25)
                    ),
                    ("In Basket of a \(name)", store, store.inBasketQuery(.open, today: today, after: nil, limit: 50)),
                    (
                        "next In Basket page of a \(name)", store,
                        store.inBasketQuery(.open, today: today, after: cursor, limit: 50)
                    ),
                ]
            }

            for (name, store, statement) in statements {
                let plan = try await Self.plan(of: statement, on: store.db)
                let scans = plan.filter(Self.readsAWholeTable) + Self.walksAWholeIndex(plan)
                #expect(scans.isEmpty, "\(name): \(plan.joined(separator: " | "))")
            }
        }
    }

    /// The plan, a line per step.
    static func plan(of statement: SQLQueryString, on db: any Database) async throws -> [String] {
        if db.sql().dialect.name == "sqlite" {
            return try await db.sql().raw("EXPLAIN QUERY PLAN " + statement).all().map {
                try $0.decode(column: "detail", as: String.self)
            }
        }
        return try await db.transaction { db in
            try await db.sql().raw("SET LOCAL enable_seqscan = off").run()
            return try await db.sql().raw("EXPLAIN " + statement).all().map {
                try $0.decode(column: "QUERY PLAN", as: String.self)
            }
        }
    }

    static let tables = [
        "conversations", "messages", "conversation_states", "care_relationships", "drafts", "users", "user_roles",
        "proxy_grants", "conversation_search",
    ]

    /// A step that reads every row of one of messaging's tables.
    static func readsAWholeTable(_ step: String) -> Bool {
        // SQLite's full-text table: FTS5 names its plan after "INDEX n:", "M" for a full-text match, "=" for a rowid.
        if let plan = step.components(separatedBy: "VIRTUAL TABLE INDEX ").dropFirst().first {
            return !(plan.contains("M") || plan.contains("="))
        }
        return tables.contains { table in
            // SQLite: "SCAN conversations" (a "SCAN … USING INDEX" walks an index); PostgreSQL: "Seq Scan on …".
            (step.hasPrefix("SCAN \(table)") && !step.contains("USING")) || step.contains("Seq Scan on \(table) ")
                || step.hasSuffix("Seq Scan on \(table)")
        }
    }

    /// PostgreSQL's steps that walk a whole index of one of those tables: an index scan with a filter but no index
    /// condition, which is what a sequential scan becomes once it is priced out.
    static func walksAWholeIndex(_ plan: [String]) -> [String] {
        plan.indices.compactMap { index in
            let step = plan[index]
            guard step.contains("Index Scan using") || step.contains("Index Only Scan using"),
                tables.contains(where: { step.contains(" on \($0) ") || step.hasSuffix(" on \($0)") })
            else { return nil }
            let details = plan[(index + 1)...].prefix { !$0.contains("->") }
            return details.contains { $0.contains("Index Cond") } ? nil : step
        }
    }
}
