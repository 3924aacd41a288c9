/// A day the organisation's offices are closed; business-day counting skips it.
public struct Holiday: Hashable, Sendable {
    public let date: CalendarDate
    public let name: String

    public init(date: CalendarDate, name: String) {
        self.date = date
        self.name = name
    }
}

/// The eleven US federal holidays (5 U.S.C. 6103) as offices observe them: a holiday on a Saturday is observed the
/// Friday before, one on a Sunday the Monday after.
public enum USFederalHolidays {
    /// The observed holidays that fall in `year`. New Year's Day of the next year appears here when it is observed on
    /// 31 December, as it was for 2022.
    public static func observed(in year: Int) -> [Holiday] {
        let thisYear = holidays(of: year).map(observedDay)
        let nextNewYear = observedDay(holidays(of: year + 1)[0])
        let fromLastYearsEnd = holidays(of: year - 1).map(observedDay)
        return (thisYear + [nextNewYear] + fromLastYearsEnd)
            .filter { $0.date.year == year }
            .reduce(into: [Holiday]()) { result, holiday in
                if !result.contains(holiday) { result.append(holiday) }
            }
            .sorted { $0.date < $1.date }
    }

    /// The holidays on their nominal dates, New Year's Day first.
    static func holidays(of year: Int) -> [Holiday] {
        func day(_ month: Int, _ day: Int) -> CalendarDate { CalendarDate(year: year, month: month, day: day)! }
        return [
            Holiday(date: day(1, 1), name: "New Year's Day"),
            Holiday(date: nthWeekday(3, weekday: 1, month: 1, year: year), name: "Birthday of Martin Luther King, Jr."),
            Holiday(date: nthWeekday(3, weekday: 1, month: 2, year: year), name: "Washington's Birthday"),
            Holiday(date: lastWeekday(1, month: 5, year: year), name: "Memorial Day"),
            Holiday(date: day(6, 19), name: "Juneteenth National Independence Day"),
            Holiday(date: day(7, 4), name: "Independence Day"),
            Holiday(date: nthWeekday(1, weekday: 1, month: 9, year: year), name: "Labor Day"),
            Holiday(date: nthWeekday(2, weekday: 1, month: 10, year: year), name: "Columbus Day"),
            Holiday(date: day(11, 11), name: "Veterans Day"),
            Holiday(date: nthWeekday(4, weekday: 4, month: 11, year: year), name: "Thanksgiving Day"),
            Holiday(date: day(12, 25), name: "Christmas Day"),
        ]
    }

    static func observedDay(_ holiday: Holiday) -> Holiday {
        switch holiday.date.isoWeekday {
        case 6: return Holiday(date: holiday.date.adding(days: -1), name: holiday.name + " (observed)")
        case 7: return Holiday(date: holiday.date.adding(days: 1), name: holiday.name + " (observed)")
        default: return holiday
        }
    }

    /// The `n`th given ISO weekday (1 = Monday) of a month.
    static func nthWeekday(_ n: Int, weekday: Int, month: Int, year: Int) -> CalendarDate {
        let first = CalendarDate(year: year, month: month, day: 1)!
        let offset = (weekday - first.isoWeekday + 7) % 7
        return first.adding(days: offset + 7 * (n - 1))
    }

    static func lastWeekday(_ weekday: Int, month: Int, year: Int) -> CalendarDate {
        let last = CalendarDate(year: year, month: month, day: CalendarDate.daysIn(month: month, year: year))!
        return last.adding(days: -((last.isoWeekday - weekday + 7) % 7))
    }
}
