import Domain
import Testing

struct USFederalHolidaysTests {
    /// OPM's published lists for 2026 and 2027.
    @Test func observedHolidaysMatchOPMFor2026And2027() {
        #expect(
            USFederalHolidays.observed(in: 2026).map(\.date.description) == [
                "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07",
                "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
            ])
        #expect(
            USFederalHolidays.observed(in: 2027).map(\.date.description) == [
                "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06",
                "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31",
            ])
    }

    @Test func thanksgiving2026IsThursdayTheTwentySixth() {
        let thanksgiving = USFederalHolidays.observed(in: 2026).first { $0.name == "Thanksgiving Day" }
        #expect(thanksgiving?.date == CalendarDate("2026-11-26"))
    }

    @Test func aWeekendHolidayIsObservedOnTheNearestWeekday() {
        let independence = USFederalHolidays.observed(in: 2026).first { $0.name.hasPrefix("Independence Day") }
        #expect(independence?.date == CalendarDate("2026-07-03"))
        #expect(independence?.name == "Independence Day (observed)")
        #expect(USFederalHolidays.observed(in: 2026...2027).allSatisfy { !$0.date.isWeekend })
    }
}

extension USFederalHolidays {
    static func observed(in years: ClosedRange<Int>) -> [Holiday] { years.flatMap { observed(in: $0) } }
}
