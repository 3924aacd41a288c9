import Foundation
import NIOCore
import Vapor

extension Application {
    private struct LiveUpdatesKey: StorageKey {
        typealias Value = LiveUpdates
    }

    /// This server's open event streams and its event bus.
    var liveUpdates: LiveUpdates {
        get {
            guard let updates = storage[LiveUpdatesKey.self] else { fatalError("useLiveUpdates() has not run") }
            return updates
        }
        set { storage[LiveUpdatesKey.self] = newValue }
    }

    /// Sets up live updates: in-process on SQLite, across servers through PostgreSQL's LISTEN/NOTIFY.
    func useLiveUpdates(_ config: AppConfig, settings: LiveUpdates.Settings = .init()) throws {
        var relay: PostgresLiveRelay?
        if case .postgres(let url) = config.storage { relay = try PostgresLiveRelay(url: url, logger: logger) }
        liveUpdates = LiveUpdates(
            settings: settings, config: config, databases: databases, organizations: organizations, writes: writes,
            logger: logger, relay: relay)
        lifecycle.use(LiveUpdatesLifecycle())
    }

    private struct ListenerKey: StorageKey {
        typealias Value = LiveStreamListener
    }

    /// The lean listener for streams, when `CAREBOX_EVENTS_ADDRESS` asks for one.
    var liveStreamListener: LiveStreamListener? {
        get { storage[ListenerKey.self] }
        set { storage[ListenerKey.self] = newValue }
    }

    /// Adds the lean listener for streams; it starts listening when the application boots.
    func useLiveStreamListener(at address: ListenAddress, headTimeout: TimeAmount = .seconds(30)) {
        let listener = LiveStreamListener(address: address, headTimeout: headTimeout)
        liveStreamListener = listener
        lifecycle.use(listener)
    }

    /// Registers `/events` behind a session check that does not count as activity.
    func registerLiveUpdateRoutes() throws {
        try grouped(SessionAuthenticator(recordsActivity: false)).register(collection: EventsController())
    }
}

/// Ends every stream when the server stops, so shutting down does not wait for them.
struct LiveUpdatesLifecycle: LifecycleHandler {
    func shutdown(_ application: Application) {
        application.liveUpdates.stop()
    }
}
