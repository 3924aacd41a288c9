import Domain
import Foundation
import Testing

struct BusinessCalendarTests {
    let calendar = BusinessCalendar(
        timeZone: TimeZone(identifier: "America/Chicago")!,
        holidays: Set((2026...2027).flatMap { USFederalHolidays.observed(in: $0).map(\.date) }))

    /// Chicago local time `yyyy-MM-dd HH:mm` → the instant.
    func chicago(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "America/Chicago")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    /// (sent, Chicago time; due with 3 business days)
    @Test(arguments: [
        ("2026-11-20 15:30", "2026-11-25"),  // Friday afternoon → Wednesday
        ("2026-11-20 08:00", "2026-11-25"),  // Friday morning → Wednesday
        ("2026-11-20 23:30", "2026-11-25"),  // late Friday in Chicago is Saturday in UTC; still Friday here
        ("2026-11-21 10:00", "2026-11-25"),  // Saturday → Wednesday
        ("2026-11-25 09:00", "2026-12-01"),  // Wednesday before Thanksgiving → the next Tuesday
        ("2026-11-23 09:00", "2026-11-27"),  // Monday → Friday after Thanksgiving
        ("2026-12-23 12:00", "2026-12-29"),  // Christmas Day skipped
        ("2026-07-01 12:00", "2026-07-07"),  // Independence Day observed Friday 3 July
        ("2026-12-30 12:00", "2027-01-05"),  // New Year's Day skipped, across the year
    ])
    func expectedReplyDatesSkipWeekendsAndHolidays(sent: String, due: String) {
        #expect(calendar.businessDays(3, after: chicago(sent)).description == due)
    }

    @Test func theDayOfAnInstantIsTheOrganisationsDay() {
        #expect(calendar.day(of: chicago("2026-11-20 23:30")).description == "2026-11-20")
    }

    @Test(arguments: [("2026-11-26", false), ("2026-11-27", true), ("2026-11-28", false), ("2026-11-30", true)])
    func businessDays(day: String, isBusinessDay: Bool) {
        #expect(calendar.isBusinessDay(CalendarDate(day)!) == isBusinessDay)
    }
}
