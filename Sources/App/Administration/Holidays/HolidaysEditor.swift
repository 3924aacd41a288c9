import Domain
import Fluent
import Vapor

/// The organisation's holidays: days that do not count as business days when a reply is due.
struct HolidaysEditor {
    let context: AdminContext

    static let years = 2000...2100
    static let nameLength = 100

    /// By date; with `year`, that year's only.
    func list(year: Int?) async throws -> [AdminHolidayResponse] {
        var query = OrganizationHoliday.query(on: context.db).filter(\.$organization.$id == context.organizationID)
        if let year {
            query = query.filter(\.$date >= "\(year)-01-01").filter(\.$date <= "\(year)-12-31")
        }
        return try await query.sort(\.$date).all().map(Self.response)
    }

    func add(_ input: AdminHolidayInput) async throws -> AdminHolidayResponse {
        guard let text = input.date?.trimmingCharacters(in: .whitespaces), let date = CalendarDate(text),
            Self.years.contains(date.year)
        else { throw AdministrationError.invalid("date", "Enter the date as YYYY-MM-DD, between 2000 and 2100.") }
        let name = try AdminText.clean(input.name, field: "name", label: "a name", max: Self.nameLength)
        let context = context
        return try await context.change { db in
            if try await Self.existing(on: db, context: context).contains(date.description) {
                throw AdministrationError.invalid("date", "\(date.description) is already a holiday.")
            }
            let holiday = OrganizationHoliday(
                organizationID: context.organizationID, date: date.description, name: name)
            try await holiday.create(on: db)
            try await context.actor.audit(
                "admin.holiday.add", "holiday", holiday.id,
                change: AuditChange(before: nil, after: ["date": date.description, "name": name]), on: db)
            return Self.response(holiday)
        }
    }

    func remove(_ id: UUID) async throws {
        let context = context
        try await context.change { db in
            guard
                let holiday = try await OrganizationHoliday.query(on: db).filter(\.$id == id)
                    .filter(\.$organization.$id == context.organizationID).first()
            else { throw AdministrationError.notFound }
            try await holiday.delete(on: db)
            try await context.actor.audit(
                "admin.holiday.remove", "holiday", id,
                change: AuditChange(before: ["date": holiday.date, "name": holiday.name], after: nil), on: db)
        }
    }

    /// Adds the observed US federal holidays of `year`, skipping dates already there: one action, one audit event.
    func loadFederal(_ input: AdminFederalHolidaysInput) async throws -> AdminFederalHolidaysResponse {
        guard let year = input.year, Self.years.contains(year) else {
            throw AdministrationError.invalid("year", "Enter a year from 2000 to 2100.")
        }
        let context = context
        return try await context.change { db in
            let existing = try await Self.existing(on: db, context: context)
            let holidays = USFederalHolidays.observed(in: year)
            var added: [AdminHolidayResponse] = []
            for holiday in holidays where !existing.contains(holiday.date.description) {
                let row = OrganizationHoliday(
                    organizationID: context.organizationID, date: holiday.date.description, name: holiday.name)
                try await row.create(on: db)
                added.append(Self.response(row))
            }
            try await context.actor.audit(
                "admin.holiday.load_federal", "organization", context.organizationID,
                change: AuditChange(
                    before: nil,
                    after: [
                        "year": String(year), "added": added.map(\.date).joined(separator: ","),
                        "skipped": String(holidays.count - added.count),
                    ]), on: db)
            return AdminFederalHolidaysResponse(added: added, skipped: holidays.count - added.count)
        }
    }

    private static func existing(on db: any Database, context: AdminContext) async throws -> Set<String> {
        Set(
            try await OrganizationHoliday.query(on: db).filter(\.$organization.$id == context.organizationID)
                .all(\.$date))
    }

    static func response(_ holiday: OrganizationHoliday) -> AdminHolidayResponse {
        AdminHolidayResponse(id: holiday.id!, date: holiday.date, name: holiday.name)
    }
}
