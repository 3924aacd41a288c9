import Fluent
import Foundation
import Testing

@testable import App

@Suite struct WriteSerializerTests {
    struct Refused: Error {}

    /// Writes that queue behind a slow one are committed together on SQLite (group commit). One that fails, by a
    /// constraint or by its own error, takes only its own changes with it, and each caller hears its own outcome. On
    /// PostgreSQL each write is its own transaction, and the same holds.
    @Test func aFailedWriteInAGroupTakesOnlyItsOwnChangesWithIt() async throws {
        try await withCarebox { app in
            let organization = Organization(name: "Group Commit Clinic", timeZone: "UTC", responseBusinessDays: 3)
            try await organization.create(on: app.db)
            let clinic = try organization.requireID()
            let writes = app.writes
            let database = app.db

            @Sendable func holiday(_ day: Int, _ name: String, on db: any Database) async throws {
                try await OrganizationHoliday(organizationID: clinic, date: "2027-03-\(10 + day)", name: name)
                    .create(on: db)
            }

            let (slowWriteHolds, holding) = AsyncStream<Void>.makeStream()
            let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                group.addTask {
                    // Ended however the slow write ends, so a slow write that fails fails the test instead of hanging it.
                    defer { holding.finish() }
                    try await writes.transaction(on: database) { db in
                        try await holiday(0, "slow", on: db)
                        holding.yield()
                        try await Task.sleep(for: .milliseconds(300))
                    }
                    return (0, "committed")
                }
                // The others arrive while the slow write holds the writer (and its row), so they queue and commit as
                // one group. Waiting for its insert, not for a fixed time, keeps a busy machine from reordering them.
                var signals = slowWriteHolds.makeAsyncIterator()
                _ = await signals.next()
                for n in 1...6 {
                    group.addTask {
                        do {
                            try await writes.transaction(on: database) { db in
                                switch n {
                                // Organisation and date are unique together.
                                case 2: try await holiday(0, "same day as the slow one", on: db)
                                case 4:
                                    try await holiday(n, "write 4", on: db)
                                    throw Refused()
                                default: try await holiday(n, "write \(n)", on: db)
                                }
                            }
                            return (n, "committed")
                        } catch is Refused {
                            return (n, "refused")
                        } catch let error as any DatabaseError where error.isConstraintFailure {
                            return (n, "constraint")
                        }
                    }
                }
                var outcomes: [Int: String] = [:]
                for try await (n, outcome) in group { outcomes[n] = outcome }
                return outcomes
            }

            #expect(
                outcomes == [
                    0: "committed", 1: "committed", 2: "constraint", 3: "committed", 4: "refused", 5: "committed",
                    6: "committed",
                ])
            let kept = try await OrganizationHoliday.query(on: app.db).filter(\.$organization.$id == clinic).all(
                \.$name)
            #expect(Set(kept) == ["slow", "write 1", "write 3", "write 5", "write 6"])
        }
    }
}
