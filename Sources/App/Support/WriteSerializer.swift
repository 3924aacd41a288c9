import Fluent
import Vapor

/// Runs write transactions. SQLite allows one writer at a time, and a transaction that reads before it writes can
/// fail with "database is locked" when another connection wrote in between; so on SQLite every write transaction
/// waits its turn here, in this process. PostgreSQL has row locks and a pool, so transactions run side by side.
final class WriteSerializer: Sendable {
    private let gate: AsyncGate?

    init(serialize: Bool) {
        gate = serialize ? AsyncGate() : nil
    }

    func transaction<T: Sendable>(
        on database: any Database, _ work: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        guard let gate else { return try await database.transaction(work) }
        await gate.enter()
        do {
            let result = try await database.transaction(work)
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw error
        }
    }
}

/// A first-come, first-served lock for async code.
actor AsyncGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
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
