import Foundation

/// Counts business days in an organisation's time zone, skipping weekends and its holidays: the basis of "You can
/// expect a reply by …" and of overdue.
public struct BusinessCalendar: Sendable {
    public let timeZone: TimeZone
    public let holidays: Set<CalendarDate>
    private let gregorian: Calendar

    public init(timeZone: TimeZone, holidays: Set<CalendarDate>) {
        self.timeZone = timeZone
        self.holidays = holidays
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        self.gregorian = gregorian
    }

    public func isBusinessDay(_ day: CalendarDate) -> Bool {
        !day.isWeekend && !holidays.contains(day)
    }

    /// The organisation's calendar day at an instant: 11 pm on a Friday in Chicago is Friday, though it is Saturday in
    /// UTC.
    public func day(of instant: Date) -> CalendarDate {
        let parts = gregorian.dateComponents([.year, .month, .day], from: instant)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// The `n`th business day after the day `instant` falls on. A message sent on a Friday, morning or afternoon, with
    /// three business days to reply, is due on Wednesday; one sent on a Saturday is due on Wednesday too.
    public func businessDays(_ n: Int, after instant: Date) -> CalendarDate {
        var day = self.day(of: instant)
        var counted = 0
        while counted < n {
            day = day.adding(days: 1)
            if isBusinessDay(day) { counted += 1 }
        }
        return day
    }
}
