import Foundation
import Testing

@testable import App

/// Times on pages are shown in the organisation's time zone, the way US portals write them.
@Suite struct PageFormatTests {
    static let chicago = TimeZone(identifier: "America/Chicago")!

    @Test(arguments: [
        ("2026-11-25T15:05:00Z", "Nov 25, 2026, 9:05 AM"),
        ("2026-11-25T06:00:00Z", "Nov 25, 2026, 12:00 AM"),
        ("2026-11-25T18:30:00Z", "Nov 25, 2026, 12:30 PM"),
        ("2026-11-26T05:59:00Z", "Nov 25, 2026, 11:59 PM"),
        ("2027-07-04T21:45:00Z", "Jul 4, 2027, 4:45 PM"),  // daylight saving time: UTC−5
        ("2027-01-01T00:00:00Z", "Dec 31, 2026, 6:00 PM"),
    ])
    func aTimeIsWrittenInTheOrganisationsZone(instant: String, shown: String) throws {
        let date = try #require(ISO8601DateFormatter().date(from: instant))
        #expect(PageFormat.dateTime(date, in: Self.chicago) == shown)
    }
}
