import Domain
import Testing

struct CalendarDateTests {
    @Test(arguments: [
        ("2026-11-26", true), ("2024-02-29", true), ("2026-02-29", false), ("2026-13-01", false),
        ("2026-1-01", false), ("26-01-01", false), ("2026-01-01T00:00", false), ("", false), ("２０２６-01-01", false),
    ])
    func parsesOnlyRealDaysInISOForm(text: String, valid: Bool) {
        #expect((CalendarDate(text) != nil) == valid)
        if valid { #expect(CalendarDate(text)?.description == text) }
    }

    @Test(arguments: [
        ("2026-11-24", 2), ("2026-11-26", 4), ("2026-11-28", 6), ("2026-11-29", 7), ("2000-01-01", 6),
        ("2024-02-29", 4), ("2027-01-01", 5),
    ])
    func knowsTheWeekday(text: String, isoWeekday: Int) {
        #expect(CalendarDate(text)!.isoWeekday == isoWeekday)
    }

    @Test(arguments: [
        ("2026-12-31", 1, "2027-01-01"), ("2024-02-28", 1, "2024-02-29"), ("2026-03-01", -1, "2026-02-28"),
        ("2026-01-01", -1, "2025-12-31"), ("2026-11-24", 40, "2027-01-03"),
    ])
    func addsDaysAcrossMonthsAndYears(start: String, days: Int, expected: String) {
        #expect(CalendarDate(start)!.adding(days: days).description == expected)
    }

    @Test(
        arguments: [
            ("2026-01-01", nil, "2025-12-31", false), ("2026-01-01", nil, "2026-01-01", true),
            ("2026-01-01", "2026-06-30", "2026-06-30", true), ("2026-01-01", "2026-06-30", "2026-07-01", false),
            ("2027-01-01", nil, "2026-11-24", false),
        ] as [(String, String?, String, Bool)])
    func activePeriodIncludesBothEnds(from: String, until: String?, day: String, active: Bool) {
        let period = ActivePeriod(from: CalendarDate(from)!, until: until.flatMap(CalendarDate.init))
        #expect(period.contains(CalendarDate(day)!) == active)
    }

    @Test func activePeriodEndingBeforeItStartsIsMalformed() {
        #expect(!ActivePeriod(from: CalendarDate("2026-02-01")!, until: CalendarDate("2026-01-31")!).isWellFormed)
        #expect(ActivePeriod(from: CalendarDate("2026-02-01")!, until: CalendarDate("2026-02-01")!).isWellFormed)
    }

    @Test(
        arguments: [
            ("1988-04-12", "2026-12-03", 38), ("1988-04-12", "2026-04-11", 37), ("1988-04-12", "2026-04-12", 38),
            ("2016-02-29", "2026-02-28", 9), ("2016-02-29", "2026-03-01", 10), ("2026-12-03", "2026-12-03", 0),
        ] as [(String, String, Int)])
    func ageCountsWholeYearsFromTheBirthday(born: String, on day: String, years: Int) {
        #expect(CalendarDate(born)!.years(until: CalendarDate(day)!) == years)
    }
}
