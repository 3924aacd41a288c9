import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Runs write transactions. PostgreSQL has row locks and a pool, so its transactions run side by side.
///
/// SQLite allows one writer at a time, and a transaction that reads before it writes can fail with "database is
/// locked" when another connection wrote in between; so on SQLite every write waits its turn here, in this process.
/// Writes that arrive while one is committing are committed together (group commit): one transaction, so they share
/// one fsync; a write that fails is rolled back alone. No caller hears back before the transaction holding its write
/// has committed.
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

    /// One transaction for the whole group, so its writes share one commit. If any of them fails, nothing of the
    /// group is kept and each write runs again alone, in order: only the one at fault fails, and its caller alone hears
    /// why. (Writes only touch the database, so running one again is safe.)
    private static func commit(_ group: [PendingWrite], on database: any Database) async {
        if group.count > 1 {
            do {
                try await database.transaction { db in
                    for write in group { try await write.run(db) }
                }
                for write in group { write.finish(nil) }
                return
            } catch {
                // Rolled back; below, each write runs in a transaction of its own.
            }
        }
        for write in group {
            do {
                try await database.transaction { db in try await write.run(db) }
                write.finish(nil)
            } catch {
                write.finish(error)
            }
        }
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
