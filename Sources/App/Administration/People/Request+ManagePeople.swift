import Domain
import Foundation
import Vapor

extension Request {
    /// People administration for the signed-in administrator (403 for anyone else), on today's date in the
    /// organisation's time zone.
    func managePeople() async throws -> ManagePeople {
        try await managePeople(acting: try adminActor)
    }

    /// The same, for `actor`: an administrator, or a patient changing who may act for them (the Sharing page), who
    /// reaches only their own records.
    func managePeople(acting actor: AdminActor) async throws -> ManagePeople {
        let calendar = try await application.organizations.entry(for: actor.organizationID, at: actor.now, on: db)?
            .calendar
        let today =
            calendar?.day(of: actor.now)
            ?? BusinessCalendar(timeZone: TimeZone(identifier: "UTC")!, holidays: []).day(of: actor.now)
        return ManagePeople(db: db, writes: application.writes, actor: actor, today: today, hasher: password.async)
    }
}
