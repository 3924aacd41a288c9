import Foundation

/// Slows down password guessing. Failures are counted over a sliding window, separately for the username tried
/// (whether or not such an account exists, so the answer never tells) and for the address they came from.
public struct SignInThrottle: Sendable, Equatable {
    public let window: TimeInterval
    public let maxFailuresPerAccount: Int
    public let maxFailuresPerAddress: Int

    public init(window: TimeInterval, maxFailuresPerAccount: Int, maxFailuresPerAddress: Int) {
        self.window = window
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.maxFailuresPerAddress = maxFailuresPerAddress
    }

    /// Five tries per username and twenty per address in fifteen minutes: a person who mistypes is not stopped,
    /// a script is.
    public static let standard = SignInThrottle(window: 15 * 60, maxFailuresPerAccount: 5, maxFailuresPerAddress: 20)

    public enum Decision: Equatable, Sendable {
        case allow
        /// Refuse without checking the password, until the oldest counted failure leaves the window.
        case wait(until: Date)
    }

    /// - Parameters:
    ///   - accountFailures: times of recent failures for this username, any order.
    ///   - addressFailures: times of recent failures from this address, any order.
    public func decide(accountFailures: [Date], addressFailures: [Date], now: Date) -> Decision {
        let waits = [
            waitUntil(accountFailures, limit: maxFailuresPerAccount, now: now),
            waitUntil(addressFailures, limit: maxFailuresPerAddress, now: now),
        ].compactMap { $0 }
        return waits.max().map(Decision.wait(until:)) ?? .allow
    }

    /// The earliest moment fewer than `limit` failures remain inside the window, if that is still ahead.
    private func waitUntil(_ failures: [Date], limit: Int, now: Date) -> Date? {
        let recent = failures.filter { now.timeIntervalSince($0) < window }.sorted(by: >)
        guard recent.count >= limit else { return nil }
        return recent[limit - 1].addingTimeInterval(window)
    }

    public func windowStart(now: Date) -> Date { now.addingTimeInterval(-window) }
}
