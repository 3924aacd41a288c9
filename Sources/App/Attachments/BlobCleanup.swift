import Fluent
import NIOCore
import Vapor

/// Removes blobs that no draft or message refers to any more (discarded drafts, removed files, refused uploads that
/// were written before they were refused). Runs every ten minutes while the server runs, as a lifecycle handler.
/// A blob younger than an hour is left alone: its upload may still be about to record it.
struct BlobCleanup: LifecycleHandler {
    static let interval = TimeAmount.minutes(10)
    static let graceAge: TimeInterval = 3600

    private final class TaskBox: @unchecked Sendable {
        var task: RepeatedTask?
    }

    private let box = TaskBox()

    func didBoot(_ application: Application) throws {
        let app = application
        box.task = app.eventLoopGroup.next().scheduleRepeatedAsyncTask(
            initialDelay: Self.interval, delay: Self.interval
        ) {
            _ in
            app.eventLoopGroup.next().makeFutureWithTask {
                do {
                    _ = try await Self.run(app)
                } catch {
                    app.logger.warning("Blob clean-up failed", metadata: ["type": "\(type(of: error))"])
                }
            }
        }
    }

    func shutdown(_ application: Application) {
        box.task?.cancel()
    }

    /// - Returns: how many blobs were removed.
    @discardableResult
    static func run(_ app: Application, now: Date? = nil) async throws -> Int {
        let now = now ?? app.config.clock.now()
        let old = try await app.blobStore.all().filter { now.timeIntervalSince($0.writtenAt) > graceAge }.map(\.sha256)
        guard !old.isEmpty else { return 0 }
        let referenced = Set(try await Attachment.query(on: app.db).filter(\.$blobSHA256 ~~ old).all(\.$blobSHA256))
        let orphans = old.filter { !referenced.contains($0) }
        for sha in orphans { try await app.blobStore.delete(sha) }
        return orphans.count
    }
}

extension Application {
    private struct BlobStoreKey: StorageKey {
        typealias Value = any BlobStore
    }

    var blobStore: any BlobStore {
        get {
            guard let store = storage[BlobStoreKey.self] else { fatalError("configure(_:_:) has not run") }
            return store
        }
        set { storage[BlobStoreKey.self] = newValue }
    }
}
