import Vapor

struct AdminHolidayResponse: Content, Equatable {
    let id: UUID
    /// `YYYY-MM-DD`.
    let date: String
    let name: String
}

struct AdminHolidayInput: Content, Sendable {
    var date: String?
    var name: String?
}

struct AdminFederalHolidaysInput: Content, Sendable {
    var year: Int?
}

/// What loading the US federal holidays did: the days added, and how many were there already.
struct AdminFederalHolidaysResponse: Content, Equatable {
    let added: [AdminHolidayResponse]
    let skipped: Int
}
