import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// The open `/events` streams of this server, and the in-process event bus that feeds them. A use case publishes an
/// event after its transaction has committed; the streams it may concern are refreshed, each through the same access
/// rules as the pages, and told only what changed for them. On PostgreSQL, `PostgresLiveRelay` carries every event to
/// the other servers too.
///
/// Idle streams cost no task: one repeating timer writes their heartbeats (a twenty-fifth of them each second, so the
/// session checks that go with them are spread out) and a refresh task runs only while an event is being looked at.
final class LiveUpdates: Sendable {
    struct Settings: Sendable {
        /// How often each stream gets a heartbeat and has its session checked.
        var heartbeat: Duration = .seconds(25)
        /// Streams one user may hold open on one server; opening one more ends their oldest.
        var streamsPerUser = 5
        /// How long a browser waits before reconnecting after a dropped stream.
        var retry: Duration = .seconds(5)
    }

    let settings: Settings
    /// Tells this server's events from others' on the relay.
    let serverID = UUID()
    let relay: PostgresLiveRelay?
    let config: AppConfig
    let organizations: OrganizationCache
    let writes: WriteSerializer
    let logger: Logger
    private let databases: Databases
    private let state = NIOLockedValueBox(State())

    private struct State {
        var streams: [Int: LiveStream] = [:]
        var nextID = 0
        var tick = 0
        var timer: RepeatedTask?
        var stopped = false
    }

    init(
        settings: Settings, config: AppConfig, databases: Databases, organizations: OrganizationCache,
        writes: WriteSerializer, logger: Logger, relay: PostgresLiveRelay?
    ) {
        self.settings = settings
        self.config = config
        self.databases = databases
        self.organizations = organizations
        self.writes = writes
        self.logger = logger
        self.relay = relay
    }

    /// The database, or nil once the application has shut its databases down: work started by a publish may outlive
    /// the request, and the application too.
    var db: (any Database)? {
        databases.database(logger: logger, on: databases.eventLoopGroup.any())
    }

    /// Open streams, for tests and the bench.
    var openStreams: Int { state.withLockedValue { $0.streams.count } }

    func nextStreamID() -> Int {
        state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
    }

    // MARK: Publishing

    /// Called after the transaction that made the change has committed. Returns at once: finding the streams it
    /// concerns, and telling the other servers, happen beside the request.
    func publish(_ event: LiveEvent) {
        Task {
            await deliver(event)
            if let relay, let db { await relay.notify(event, from: serverID, on: db) }
        }
    }

    /// Refreshes the streams `event` may concern. Streams filter by ids first (no query), then each candidate checks
    /// its session and what its user may see.
    func deliver(_ event: LiveEvent) async {
        let organization = event.organizationID
        let inOrganization = state.withLockedValue { $0.streams.values.filter { $0.organizationID == organization } }
        guard !inOrganization.isEmpty, let db else { return }
        var candidates: [LiveStream]
        if let user = event.userID {
            candidates = inOrganization.filter { $0.userID == user }
        } else if let conversation = event.conversationID {
            let audience: LiveUpdatesQueries.ConversationAudience?
            do {
                audience = try await LiveUpdatesQueries.audience(of: conversation, on: db)
            } catch {
                logger.warning("Live update not delivered: the database did not answer")
                return
            }
            guard let audience, audience.organizationId == organization else { return }
            candidates = state.withLockedValue { _ in
                inOrganization.filter { $0.audience.includes(audience, user: $0.userID) }
            }
        } else {
            candidates = []
        }
        let touched = event.changesInBasket ? event.conversationID : nil
        for stream in candidates { schedule(stream, touched: touched) }
    }

    /// Every stream looks again: after the relay (re)connects, events may have been missed while it was away.
    func refreshAll() {
        for stream in state.withLockedValue({ Array($0.streams.values) }) { schedule(stream, touched: nil) }
    }

    // MARK: Streams

    /// Takes a stream Vapor has started writing. The user's oldest stream on this server ends when this one is one too
    /// many (it is most likely a tab closed without the server noticing yet).
    func attach(_ stream: LiveStream, writer: any BodyStreamWriter) {
        let (accepted, evicted): (Bool, LiveStream?) = state.withLockedValue { state in
            guard !state.stopped else { return (false, nil) }
            stream.writer = writer
            state.streams[stream.id] = stream
            let mine = state.streams.values.filter { $0.userID == stream.userID }
            let oldest = mine.count > settings.streamsPerUser ? mine.min { $0.id < $1.id } : nil
            if state.timer == nil { state.timer = startTimer() }
            return (true, oldest)
        }
        guard accepted else {
            writer.write(.end, promise: nil)
            return
        }
        if let evicted { close(evicted, reason: "replaced") }
        relay?.start(for: self)
        write(stream, LiveMessage.retry(settings.retry))
        schedule(stream, touched: nil)
    }

    /// Ends a stream with a last event saying why; the page then stops listening.
    func close(_ stream: LiveStream, reason: String) {
        guard let writer = remove(stream) else { return }
        writer.write(.buffer(LiveMessage.end(reason))).whenComplete { _ in writer.write(.end, promise: nil) }
    }

    /// Forgets a stream whose connection has gone.
    private func drop(_ stream: LiveStream) {
        remove(stream)?.write(.end, promise: nil)
    }

    @discardableResult
    private func remove(_ stream: LiveStream) -> (any BodyStreamWriter)? {
        state.withLockedValue { state in
            guard !stream.closed else { return nil }
            stream.closed = true
            state.streams[stream.id] = nil
            defer { stream.writer = nil }
            return stream.writer
        }
    }

    func write(_ stream: LiveStream, _ buffer: ByteBuffer) {
        let writer: (any BodyStreamWriter)? = state.withLockedValue { _ in stream.closed ? nil : stream.writer }
        guard let writer else { return }
        writer.write(.buffer(buffer)).whenFailure { _ in self.drop(stream) }
    }

    /// Ends every stream: the server is shutting down.
    func stop() {
        let streams = state.withLockedValue { state in
            state.stopped = true
            state.timer?.cancel()
            state.timer = nil
            return Array(state.streams.values)
        }
        for stream in streams { close(stream, reason: "server-stopping") }
        relay?.stop()
    }

    // MARK: Refreshing, coalesced

    /// Refreshes a stream, or, when one is running, makes sure one more runs after it: a burst of events costs at
    /// most two refreshes per stream.
    func schedule(_ stream: LiveStream, touched: UUID?) {
        let start = state.withLockedValue { _ -> Bool in
            guard !stream.closed else { return false }
            if let touched, !stream.touched.contains(touched) { stream.touched.append(touched) }
            if stream.refreshing {
                stream.dirty = true
                return false
            }
            stream.refreshing = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                let touched = state.withLockedValue { _ in
                    defer {
                        stream.touched = []
                        stream.dirty = false
                    }
                    return stream.touched
                }
                await refresh(stream, touched: touched)
                let again = state.withLockedValue { _ in
                    if stream.dirty && !stream.closed { return true }
                    stream.refreshing = false
                    return false
                }
                if !again { break }
            }
        }
    }

    /// Runs `body` under the lock that guards every stream's mutable fields.
    func locked<T>(_ body: () -> T) -> T {
        state.withLockedValue { _ in body() }
    }

    // MARK: Heartbeats

    private var buckets: Int { max(1, min(25, Int(settings.heartbeat.components.seconds))) }

    private func startTimer() -> RepeatedTask {
        let interval = TimeAmount(settings.heartbeat) / buckets
        return databases.eventLoopGroup.any().scheduleRepeatedTask(initialDelay: interval, delay: interval) {
            [weak self] _ in self?.tick()
        }
    }

    /// Heartbeats for one bucket of streams, then one query for their sessions.
    private func tick() {
        let due = state.withLockedValue { state in
            state.tick += 1
            let bucket = state.tick % buckets
            return state.streams.values.filter { $0.id % buckets == bucket }
        }
        guard !due.isEmpty else { return }
        for stream in due { write(stream, LiveMessage.heartbeat) }
        Task { await checkSessions(of: due) }
    }

    /// Ends the streams whose sessions have ended (signed out, timed out, deactivated), without touching any session.
    func checkSessions(of streams: [LiveStream]) async {
        guard let db else { return }
        let sessions: [UUID: LiveUpdatesQueries.SessionTimes]
        do {
            sessions = try await LiveUpdatesQueries.sessions(Array(Set(streams.map(\.sessionID))), on: db)
        } catch {
            return
        }
        let now = config.clock.now()
        for stream in streams {
            let session = sessions[stream.sessionID]
            let alive = session.map {
                config.sessionPolicy.isAlive(createdAt: $0.createdAt, lastSeenAt: $0.lastSeenAt, now: now)
            }
            if alive != true { close(stream, reason: "session-ended") }
        }
    }
}

extension TimeAmount {
    fileprivate static func / (amount: TimeAmount, divisor: Int) -> TimeAmount {
        .nanoseconds(amount.nanoseconds / Int64(divisor))
    }
}
