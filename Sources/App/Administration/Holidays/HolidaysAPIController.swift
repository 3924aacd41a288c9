import Vapor

/// `/api/v1/admin/holidays`: list (by `year`), add, remove; `POST /api/v1/admin/federal-holidays` loads the US
/// federal holidays of a year.
struct HolidaysAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let holidays = routes.grouped("holidays")
        holidays.get(use: list)
        holidays.post(use: add)
        holidays.delete(":holidayID", use: remove)
        routes.post("federal-holidays", use: loadFederal)
    }

    private func editor(_ request: Request) throws -> HolidaysEditor {
        HolidaysEditor(context: try request.adminContext)
    }

    @Sendable func list(request: Request) async throws -> [AdminHolidayResponse] {
        let editor = try editor(request)
        return try await editor.list(year: try request.yearQuery())
    }

    @Sendable func add(request: Request) async throws -> Response {
        let editor = try editor(request)
        return try await editor.add(try request.content.decode(AdminHolidayInput.self))
            .encodeResponse(status: .created, for: request)
    }

    @Sendable func loadFederal(request: Request) async throws -> AdminFederalHolidaysResponse {
        let editor = try editor(request)
        return try await editor.loadFederal(try request.content.decode(AdminFederalHolidaysInput.self))
    }

    @Sendable func remove(request: Request) async throws -> HTTPStatus {
        let editor = try editor(request)
        try await editor.remove(try request.adminID("holidayID"))
        return .noContent
    }
}

extension Request {
    /// `?year=2027`: absent is nil; anything but a year from 2000 to 2100 is refused.
    func yearQuery() throws -> Int? {
        guard let text = try? query.get(String.self, at: "year") else { return nil }
        guard let year = Int(text), HolidaysEditor.years.contains(year) else {
            throw AdministrationError.invalid("year", "year must be from 2000 to 2100.")
        }
        return year
    }
}
