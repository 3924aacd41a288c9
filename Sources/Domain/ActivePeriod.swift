/// The days a care relationship or a proxy grant is in force: from its first day through its last, if it has one.
public struct ActivePeriod: Hashable, Sendable {
    public let from: CalendarDate
    public let until: CalendarDate?

    public init(from: CalendarDate, until: CalendarDate? = nil) {
        self.from = from
        self.until = until
    }

    /// Both ends count: a grant that runs until 2026-12-31 still holds on that day.
    public func contains(_ day: CalendarDate) -> Bool {
        day >= from && (until.map { day <= $0 } ?? true)
    }

    /// A period whose last day is before its first is a mistake in the data, never a valid empty period.
    public var isWellFormed: Bool {
        until.map { $0 >= from } ?? true
    }
}
