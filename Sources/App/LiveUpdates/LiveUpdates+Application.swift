import Foundation
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
