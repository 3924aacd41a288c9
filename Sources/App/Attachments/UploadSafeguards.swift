import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The virus scanner as Carebox uses it: none configured means no scan; an infected file is refused; a scanner that
/// gives no verdict refuses the file (fail closed, the default) or lets it through (fail open), as configured.
struct VirusScanning: Sendable {
    let scanner: (any VirusScanner)?
    let whenUnavailable: ScanFailurePolicy

    static let off = VirusScanning(scanner: nil, whenUnavailable: .closed)

    static let infected = MessagingError(
        .unprocessableEntity, "attachment_infected",
        "This file contains a virus or other malware, so it was not attached. Delete it, and attach a clean copy.",
        field: "file")
    static let unavailable = MessagingError(
        .serviceUnavailable, "scanner_unavailable",
        "Files can't be checked for viruses just now, so none can be attached. Try again in a few minutes.",
        field: "file")

    func check(_ content: [UInt8]) async throws {
        guard let scanner else { return }
        do {
            if case .infected = try await scanner.scan(bytes: content) { throw Self.infected }
        } catch is VirusScannerError {
            if whenUnavailable == .closed { throw Self.unavailable }
        }
    }
}

/// At most `limit` uploads per user per minute on this server, refused or not: each costs a scan and a check.
final class UploadRateLimiter: Sendable {
    let limit: Int
    private let recent = NIOLockedValueBox<[UUID: [Date]]>([:])

    init(limit: Int = 60) {
        self.limit = limit
    }

    /// Counts an upload by `user` at `now`; false when it is one too many.
    func allow(_ user: UUID, at now: Date) -> Bool {
        recent.withLockedValue { recent in
            let windowStart = now.addingTimeInterval(-60)
            if recent.count > 10_000 { recent = recent.filter { $0.value.contains { $0 > windowStart } } }
            var times = recent[user, default: []].filter { $0 > windowStart }
            guard times.count < limit else {
                recent[user] = times
                return false
            }
            times.append(now)
            recent[user] = times
            return true
        }
    }
}

extension Application {
    private struct VirusScanningKey: StorageKey {
        typealias Value = VirusScanning
    }
    private struct UploadRateKey: StorageKey {
        typealias Value = UploadRateLimiter
    }

    var virusScanning: VirusScanning {
        get { storage[VirusScanningKey.self] ?? .off }
        set { storage[VirusScanningKey.self] = newValue }
    }

    var uploadRate: UploadRateLimiter {
        get {
            guard let limiter = storage[UploadRateKey.self] else { fatalError("configure(_:_:) has not run") }
            return limiter
        }
        set { storage[UploadRateKey.self] = newValue }
    }
}
