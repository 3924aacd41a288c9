import Domain
import Foundation

/// An audit search as typed: usernames, an action or action family, and dates in the organisation's time zone. Pages
/// and the API take the same fields, and links carry them as they were given.
struct AuditSearchInput: Sendable, Equatable {
    var user: String?
    var patient: String?
    var action: String?
    var from: String?
    var to: String?

    /// The query string of these fields (without paging), for links that keep the search.
    var queryItems: [URLQueryItem] {
        [("user", user), ("patient", patient), ("action", action), ("from", from), ("to", to)]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
    }
}

/// A resolved audit search, every person already found in the administrator's organisation.
struct AuditFilter: Sendable, Equatable {
    /// Who did it.
    var actorID: UUID?
    /// Whom it concerned: acting for them, done by them, or done to their account.
    var patientID: UUID?
    /// An action (`session.sign_in`), or a family of them when it ends in a dot (`admin.`).
    var action: String?
    /// Occurred at or after.
    var from: Date?
    /// Occurred before.
    var to: Date?
}

/// The fields of a search that cannot be used, each with its message, in the order of the form.
struct AuditSearchRefusal: Error, Sendable, Equatable {
    var errors: [(field: String, message: String)]

    static func == (lhs: AuditSearchRefusal, rhs: AuditSearchRefusal) -> Bool {
        lhs.errors.map(\.field) == rhs.errors.map(\.field) && lhs.errors.map(\.message) == rhs.errors.map(\.message)
    }

    /// The first refusal, for the API's problem+json.
    var first: AdministrationError {
        AdministrationError.invalid(errors[0].field, errors[0].message)
    }
}

/// Where a page of the newest-first list starts.
enum AuditCursor: Sendable, Equatable {
    /// The page of events older than this sequence (Next).
    case olderThan(Int64)
    /// The page of events newer than this sequence (Previous).
    case newerThan(Int64)
}

enum AuditDates {
    /// The instant `YYYY-MM-DD` begins in `zone`.
    static func start(of day: CalendarDate, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }
}

extension AuditDates {
    static let utc = TimeZone(identifier: "UTC")!

    /// The events that occurred from the start of `from` to the end of `to`, days typed as `YYYY-MM-DD` in `zone`;
    /// either may be absent. The fields at fault are named `fields.from` and `fields.to`.
    static func range(
        from: String?, to: String?, in zone: TimeZone, fields: (from: String, to: String) = ("from", "to")
    ) throws -> AuditChainRange {
        var errors: [(field: String, message: String)] = []
        func day(_ text: String?, _ field: String) -> CalendarDate? {
            guard let text, !text.isEmpty else { return nil }
            // From 1970; before 9999, so the day after the last one still exists.
            guard let day = CalendarDate(text), (1970...9998).contains(day.year) else {
                errors.append((field, "Enter the date as YYYY-MM-DD, such as 2026-11-25."))
                return nil
            }
            return day
        }
        let first = day(from, fields.from)
        let last = day(to, fields.to)
        if let first, let last, last < first {
            errors.append((fields.to, "The end date must be on or after the start date."))
        }
        guard errors.isEmpty else { throw AuditSearchRefusal(errors: errors) }
        return AuditChainRange(
            from: first.map { start(of: $0, in: zone) }, to: last.map { start(of: $0.adding(days: 1), in: zone) })
    }
}

extension AuditCursor {
    /// A sequence number as the links and the API give it out: digits only.
    static func sequence(_ text: String) -> Int64? {
        guard (1...18).contains(text.count), text.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int64(text)
    }
}
