/// A day on the calendar with no time and no zone: a birth date, a holiday, the first day of a relationship.
/// Stored as `YYYY-MM-DD` text so SQLite and PostgreSQL hold and compare it the same way.
public struct CalendarDate: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// As a letter or an email says it: "December 3, 2026".
    public var spelledOut: String {
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        return "\(months[month - 1]) \(day), \(year)"
    }

    /// Whole years from this date (a birth date) to `date`: a birthday counts from the day itself, and 29 February
    /// from 1 March in other years.
    public func years(until date: CalendarDate) -> Int {
        let beforeBirthday = (date.month, date.day) < (month, day)
        return date.year - year - (beforeBirthday ? 1 : 0)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "Expected YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension CalendarDate {
    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// 1 = Monday … 7 = Sunday (ISO 8601), by Zeller's congruence so no calendar or time zone is involved.
    public var isoWeekday: Int {
        let m = month < 3 ? month + 12 : month
        let y = month < 3 ? year - 1 : year
        let h = (day + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400) % 7  // 0 = Saturday
        return (h + 5) % 7 + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public func adding(days: Int) -> CalendarDate {
        var (y, m, d) = (year, month, day + days)
        while d > CalendarDate.daysIn(month: m, year: y) {
            d -= CalendarDate.daysIn(month: m, year: y)
            (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1)
        }
        while d < 1 {
            (y, m) = m == 1 ? (y - 1, 12) : (y, m - 1)
            d += CalendarDate.daysIn(month: m, year: y)
        }
        return CalendarDate(year: y, month: m, day: d)!
    }
}
