import Domain
import Foundation
import Testing

struct SignInThrottleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let throttle = SignInThrottle.standard

    func minutesAgo(_ minutes: [Double]) -> [Date] { minutes.map { now.addingTimeInterval(-$0 * 60) } }

    @Test func fourFailuresForAnAccountStillAllowAnotherTry() {
        #expect(throttle.decide(accountFailures: minutesAgo([1, 2, 3, 4]), addressFailures: [], now: now) == .allow)
    }

    @Test func fiveFailuresForAnAccountMakeItWaitUntilTheFifthNewestLeavesTheWindow() {
        let failures = minutesAgo([1, 2, 3, 4, 10, 14])
        let decision = throttle.decide(accountFailures: failures, addressFailures: [], now: now)
        #expect(decision == .wait(until: now.addingTimeInterval(-10 * 60 + 15 * 60)))
    }

    @Test func failuresOlderThanTheWindowDoNotCount() {
        #expect(
            throttle.decide(accountFailures: minutesAgo([15, 16, 20, 30, 40]), addressFailures: [], now: now) == .allow)
    }

    @Test func twentyFailuresFromOneAddressAcrossAccountsMakeItWait() {
        let failures = minutesAgo((0..<20).map { Double($0) * 0.5 })
        guard case .wait = throttle.decide(accountFailures: [], addressFailures: failures, now: now) else {
            Issue.record("expected the address to wait")
            return
        }
        #expect(throttle.decide(accountFailures: [], addressFailures: Array(failures.prefix(19)), now: now) == .allow)
    }

    @Test func theLongerOfTwoWaitsWins() {
        let account = minutesAgo([1, 1, 1, 1, 1])
        let address = minutesAgo(Array(repeating: 0.5, count: 20))
        #expect(
            throttle.decide(accountFailures: account, addressFailures: address, now: now)
                == .wait(until: now.addingTimeInterval(-30 + 15 * 60)))
    }
}
