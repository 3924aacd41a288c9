import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Runs write transactions. PostgreSQL has row locks and a pool, so its transactions run side by side.
///
/// SQLite allows one writer at a time, and a transaction that reads before it writes can fail with "database is
/// locked" when another connection wrote in between; so on SQLite every write waits its turn here, in this process.
/// Writes that arrive while one is committing are committed together (group commit): one transaction, each write in
/// its own savepoint, so they share one fsync, and a write that fails is rolled back alone. No caller hears back
/// before the transaction holding its write has committed.
final class WriteSerializer: Sendable {
    private let queue: GroupCommitQueue?

    init(serialize: Bool, maxGroupSize: Int = 64) {
        queue = serialize ? GroupCommitQueue(maxGroupSize: maxGroupSize) : nil
    }

    func transaction<T: Sendable>(
        on database: any Database, _ work: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        guard let queue else { return try await database.transaction(work) }
        let outcome = NIOLockedValueBox<T?>(nil)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let write = PendingWrite(
                run: { db in
                    let value = try await work(db)
                    outcome.withLockedValue { $0 = value }
                },
                finish: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                })
            Task { await queue.submit(write, on: database) }
        }
        guard let value = outcome.withLockedValue({ $0 }) else { preconditionFailure("a committed write has a result") }
        return value
    }
}

/// One caller's write, waiting for its group to commit.
private struct PendingWrite: Sendable {
    let run: @Sendable (any Database) async throws -> Void
    let finish: @Sendable ((any Error)?) -> Void
}

/// Collects writes and commits them in groups, one group at a time, in arrival order.
private actor GroupCommitQueue {
    private let maxGroupSize: Int
    private var pending: [PendingWrite] = []
    private var committing = false

    init(maxGroupSize: Int) {
        self.maxGroupSize = maxGroupSize
    }

    func submit(_ write: PendingWrite, on database: any Database) async {
        pending.append(write)
        guard !committing else { return }
        committing = true
        while !pending.isEmpty {
            let group = Array(pending.prefix(maxGroupSize))
            pending.removeFirst(group.count)
            await Self.commit(group, on: database)
        }
        committing = false
    }

    /// One transaction for the group. Each write of a larger group runs in a savepoint: if it throws, only its own changes are rolled
    /// back and only its caller hears the error. If the commit fails, every caller in the group does.
    private static func commit(_ group: [PendingWrite], on database: any Database) async {
        if group.count == 1 {
            do {
                try await database.transaction { db in try await group[0].run(db) }
                group[0].finish(nil)
            } catch {
                group[0].finish(error)
            }
            return
        }
        let failures = NIOLockedValueBox<[(any Error)?]>(Array(repeating: nil, count: group.count))
        do {
            try await database.transaction { db in
                let sql = db.sql()
                for (index, write) in group.enumerated() {
                    try await sql.raw("SAVEPOINT carebox_write").run()
                    do {
                        try await write.run(db)
                    } catch {
                        failures.withLockedValue { $0[index] = error }
                        try await sql.raw("ROLLBACK TO SAVEPOINT carebox_write").run()
                    }
                    try await sql.raw("RELEASE SAVEPOINT carebox_write").run()
                }
            }
        } catch {
            for write in group { write.finish(error) }
            return
        }
        for (index, write) in group.enumerated() { write.finish(failures.withLockedValue { $0[index] }) }
    }
}

extension Application {
    private struct WriteSerializerKey: StorageKey {
        typealias Value = WriteSerializer
    }

    var writes: WriteSerializer {
        get {
            guard let writes = storage[WriteSerializerKey.self] else { fatalError("configure(_:_:) has not run") }
            return writes
        }
        set { storage[WriteSerializerKey.self] = newValue }
    }
}
