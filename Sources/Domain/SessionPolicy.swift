import Foundation

/// How long a signed-in session lasts. Both limits are enforced by the server on every request; the cookie's own
/// lifetime is only a hint to the browser.
public struct SessionPolicy: Sendable, Equatable {
    /// A session unused this long is over (HIPAA-style automatic logoff).
    public let idleTimeout: TimeInterval
    /// A session is over this long after sign-in, however busy.
    public let absoluteLifetime: TimeInterval
    /// Recording activity is a database write; it is skipped when the last one is this recent. Kept far below
    /// `idleTimeout` so a session is never ended early by more than this much.
    public let activityGranularity: TimeInterval

    public init(idleTimeout: TimeInterval, absoluteLifetime: TimeInterval) {
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
        self.activityGranularity = min(60, idleTimeout / 10)
    }

    /// How long a session is sure to last after a request: activity is recorded at most this late.
    public var assuredIdle: TimeInterval { idleTimeout - activityGranularity }

    /// How long before `assuredIdle` runs out a page warns: two minutes, or half of it when it is shorter.
    public var warningLead: TimeInterval { min(120, assuredIdle / 2) }

    public static let standard = SessionPolicy(idleTimeout: 15 * 60, absoluteLifetime: 12 * 60 * 60)

    public func isAlive(createdAt: Date, lastSeenAt: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeenAt) < idleTimeout && now.timeIntervalSince(createdAt) < absoluteLifetime
    }

    public func shouldRecordActivity(lastSeenAt: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeenAt) >= activityGranularity
    }
}
