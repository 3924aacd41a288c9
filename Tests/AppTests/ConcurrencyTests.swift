import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Many people at once, over real HTTP: work is held by one person, a refused write in a group commit takes nothing
/// else down, and replies and opens of the same conversations never deadlock.
@Suite struct ConcurrencyTests {
    /// Eight nurses of one pool press Claim at the same moment, twenty times: each time exactly one gets it.
    @Test func ofEightNursesClaimingAtOnceExactlyOneGetsIt() async throws {
        try await withDemoAPI { demo in
            var nurses = [try await demo.client("ntorres")]
            let triage = demo.ids.pools["Nurse Triage"]!
            let organization = try await Organization.query(on: demo.app.db).first()!.requireID()
            for n in 1...7 {
                let nurse = User(organizationID: organization, username: "nurse\(n)", name: "Nurse \(n)")
                try await nurse.create(on: demo.app.db)
                try await UserRole(userID: nurse.requireID(), role: .staff).create(on: demo.app.db)
                let member = PoolMember()
                member.$pool.id = triage
                member.$user.id = try nurse.requireID()
                try await member.create(on: demo.app.db)
                nurses.append(try await demo.client("nurse\(n)"))
            }
            let alex = try await demo.client("alex")
            for _ in 0..<20 {
                let id = try await alex.start(demo.ids.start("Medical Question", to: demo.ids.pool("Nurse Triage")))
                let statuses = try await withThrowingTaskGroup(of: (Int, HTTPResponseStatus).self) { group in
                    for (index, nurse) in nurses.enumerated() {
                        group.addTask { (index, try await nurse.send(.POST, "/conversations/\(id)/claim").status) }
                    }
                    return try await group.reduce(into: [Int: HTTPResponseStatus]()) { $0[$1.0] = $1.1 }
                }
                #expect(statuses.values.filter { $0 == .ok }.count == 1)
                #expect(statuses.values.filter { $0 == .conflict }.count == 7)
                let winner = try #require(statuses.first { $0.value == .ok }?.key)
                let held = try await Conversation.find(id, on: demo.app.db)!.$assignee.id
                let winnerID = try await User.query(on: demo.app.db)
                    .filter(\.$username == (winner == 0 ? "ntorres" : "nurse\(winner)")).first()!.id
                #expect(held == winnerID)
            }
        }
    }

    /// Done and reopen are conditional too: of two pressing Mark as Done together, the second is told it is done.
    @Test func markingDoneTwiceAtOnceRefusesTheSecond() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let torres = try await demo.client("ntorres")
            let id = try await alex.start(demo.ids.start("Medical Question", to: demo.ids.pool("Nurse Triage")))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<2 { group.addTask { try await torres.send(.POST, "/conversations/\(id)/done").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted { $0.code < $1.code } == [.ok, .conflict])
            let reopen = try await torres.send(.POST, "/conversations/\(id)/reopen")
            #expect(reopen.status == .ok)
            #expect(try await torres.send(.POST, "/conversations/\(id)/reopen").status == .conflict)
        }
    }

    /// Assigning is refused, not overwritten, when someone else took the conversation after the assigner looked.
    @Test func anAssignmentMadeOnAStaleViewIsRefused() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let torres = try await demo.client("ntorres")
            let chen = demo.user("mchen")
            let id = try await alex.start(demo.ids.start("Medical Question", to: demo.ids.pool("Nurse Triage")))
            // Torres looked while it was unassigned; meanwhile it was assigned to Dr. Chen (Alex's provider).
            _ = try await torres.send(.POST, "/conversations/\(id)/assign", json: ["assigneeId": chen.uuidString])
            let stale = try await torres.send(
                .POST, "/conversations/\(id)/assign",
                json: [
                    "assigneeId": demo.user("ntorres").uuidString,
                    "expectedAssigneeId": demo.user("ohaddad").uuidString,
                ])
            #expect(stale.status == .conflict)
            #expect(stale.json["code"] as? String == "already_assigned")
            let current = try await torres.send(
                .POST, "/conversations/\(id)/assign",
                json: ["assigneeId": demo.user("ntorres").uuidString, "expectedAssigneeId": chen.uuidString])
            #expect(current.status == .ok)
        }
    }

    /// Two clients edit with a stale If-Match while two others save new drafts, twenty rounds: every stale edit is a
    /// 409, every draft is saved once, and the server is still answering (a refused write in a group commit once
    /// crashed the SQLite server when the group was run again).
    @Test func staleEditsBesideNewDraftsNeverTakeTheServerDown() async throws {
        try await withDemoAPI { demo in
            let alex = try await demo.client("alex")
            let id = try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen")))
            _ = try await alex.send(
                .PATCH, "/conversations/\(id)", json: ["subject": "Now version 2"], headers: ["If-Match": "\"1\""])
            var drafts = 0
            for round in 0..<20 {
                let statuses = try await withThrowingTaskGroup(of: (String, HTTPResponseStatus).self) { group in
                    for n in 0..<2 {
                        group.addTask {
                            let edit = try await alex.send(
                                .PATCH, "/conversations/\(id)", json: ["subject": "Stale \(round) \(n)"],
                                headers: ["If-Match": "\"1\""])
                            return ("edit", edit.status)
                        }
                        group.addTask {
                            let draft = try await alex.send(
                                .POST, "/drafts", json: ["subject": "Draft \(round) \(n)", "body": "Text"])
                            return ("draft", draft.status)
                        }
                    }
                    return try await group.reduce(into: [(String, HTTPResponseStatus)]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0.0 == "edit" }.allSatisfy { $0.1 == .conflict })
                #expect(statuses.filter { $0.0 == "draft" }.allSatisfy { $0.1 == .created })
                drafts += 2
            }
            #expect(try await Draft.query(on: demo.app.db).count() == drafts)
            #expect(try await alex.get("/conversations/\(id)").status == .ok)
        }
    }

    /// Replies and care-team opens of the same conversations at once take their locks in one order, so none of them
    /// fails on a deadlock (on PostgreSQL they once did, ten to twenty times a minute).
    @Test func repliesAndCareTeamOpensOfTheSameConversationsNeverFail() async throws {
        try await withDemoAPI(adjust: { $0.clock = SystemClock() }) { demo in
            let alex = try await demo.client("alex")
            let chen = try await demo.client("mchen")
            var conversations: [UUID] = []
            for _ in 0..<4 {
                conversations.append(
                    try await alex.start(demo.ids.start("General Message", to: demo.ids.provider("mchen"))))
            }
            for _ in 0..<20 {
                let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                    for id in conversations {
                        group.addTask { try await chen.reply(id).status }
                        group.addTask { try await chen.get("/conversations/\(id)").status }
                        group.addTask { try await alex.reply(id).status }
                        group.addTask { try await alex.get("/conversations/\(id)").status }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == .ok || $0 == .created }, "\(statuses.map(\.code))")
            }
        }
    }
}
