import Domain
import Foundation
import Testing

struct SessionPolicyTests {
    let signIn = Date(timeIntervalSince1970: 1_800_000_000)

    /// (minutes since sign-in, minutes since last activity, alive?)
    @Test(arguments: [
        (0.0, 0.0, true), (14.9, 14.9, true), (15.0, 15.0, false), (60.0, 20.0, false), (60.0, 1.0, true),
        (719.0, 1.0, true), (720.0, 0.5, false), (900.0, 0.0, false),
    ])
    func standardPolicyEndsIdleAndOldSessions(sinceSignIn: Double, sinceActivity: Double, alive: Bool) {
        let now = signIn.addingTimeInterval(sinceSignIn * 60)
        let lastSeen = now.addingTimeInterval(-sinceActivity * 60)
        #expect(SessionPolicy.standard.isAlive(createdAt: signIn, lastSeenAt: lastSeen, now: now) == alive)
    }

    @Test func activityIsRecordedAtMostOnceAMinute() {
        let policy = SessionPolicy.standard
        #expect(!policy.shouldRecordActivity(lastSeenAt: signIn, now: signIn.addingTimeInterval(59)))
        #expect(policy.shouldRecordActivity(lastSeenAt: signIn, now: signIn.addingTimeInterval(60)))
    }

    @Test func shortIdleTimeoutsRecordActivityMoreOften() {
        let policy = SessionPolicy(idleTimeout: 120, absoluteLifetime: 3600)
        #expect(policy.activityGranularity == 12)
    }

    /// (idle minutes, seconds a session is sure to last after a request, seconds of warning before that)
    @Test(arguments: [(15.0, 840.0, 120.0), (1.0, 54.0, 27.0), (3.0, 162.0, 81.0), (720.0, 43_140.0, 120.0)])
    func pagesWarnTwoMinutesBeforeTheSessionCouldEndOrHalfwayWhenShorter(
        idleMinutes: Double, assured: Double, warning: Double
    ) {
        let policy = SessionPolicy(idleTimeout: idleMinutes * 60, absoluteLifetime: 12 * 3600)
        #expect(policy.assuredIdle == assured)
        #expect(policy.warningLead == warning)
    }
}
