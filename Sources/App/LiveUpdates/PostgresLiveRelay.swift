import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresKit
import SQLKit

/// Carries live events between servers on one PostgreSQL database with `LISTEN`/`NOTIFY`. The payload is the
/// event's ids and the sending server's id (each server delivers its own events in-process and skips them here).
///
/// One dedicated connection listens, outside the pool, from the first stream this server opens until shutdown; when
/// it drops, it reconnects (after 1, 2, 4 … up to 30 seconds) and every open stream refreshes once, for whatever was
/// sent while no one listened. NOTIFY is sent after the change has committed, on the pool.
final class PostgresLiveRelay: Sendable {
    static let channel = "carebox_live"

    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var task: Task<Void, Never>?
        var listening = false
        var stopped = false
    }

    init(url: String, logger: Logger) throws {
        configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
        self.logger = logger
    }

    /// Whether the listening connection is up, for tests that must not publish before another server listens.
    var isListening: Bool { state.withLockedValue { $0.listening } }

    /// Sends `event` to the other servers: one statement, one round trip (BEGIN, SET LOCAL, NOTIFY and COMMIT took four,
    /// bench/RESULTS.md). `set_config(…, true)` keeps its commit from waiting for the disk. Nothing is lost by not
    /// waiting: the change it announces has committed already, and a notification is a signal to look, not a record.
    func notify(_ event: LiveEvent, from server: UUID, on db: any Database) async {
        do {
            try await db.sql().raw(
                """
                SELECT set_config('synchronous_commit', 'off', true), \
                pg_notify(\(bind: Self.channel), \(bind: server.uuidString + " " + event.payload))
                """
            ).run()
        } catch {
            logger.warning("Live update not sent to other servers: the database did not answer")
        }
    }

    /// Starts listening, once.
    func start(for updates: LiveUpdates) {
        state.withLockedValue { state in
            guard state.task == nil, !state.stopped else { return }
            state.task = Task { [weak updates] in
                var delay = 1
                while !Task.isCancelled, let updates {
                    do {
                        try await self.listen(for: updates)
                        delay = 1
                    } catch {
                        self.logger.warning(
                            "Live updates from other servers paused: listening failed",
                            metadata: ["error": "\(type(of: error))"])
                    }
                    self.state.withLockedValue { $0.listening = false }
                    try? await Task.sleep(for: .seconds(delay))
                    delay = min(delay * 2, 30)
                }
            }
        }
    }

    private func listen(for updates: LiveUpdates) async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.listen(on: Self.channel) { notifications in
                state.withLockedValue { $0.listening = true }
                updates.refreshAll()
                for try await notification in notifications {
                    let text = notification.payload
                    guard let space = text.firstIndex(of: " "),
                        UUID(uuidString: String(text[..<space])) != updates.serverID,
                        let event = LiveEvent(payload: text[text.index(after: space)...])
                    else { continue }
                    await updates.deliver(event)
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    func stop() {
        let task = state.withLockedValue { state in
            state.stopped = true
            return state.task
        }
        task?.cancel()
    }
}
