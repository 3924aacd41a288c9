import Domain
import Vapor

/// `/administration/holidays`: one year's holidays, with Add, Remove and "Load US federal holidays for YEAR".
struct HolidaysController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let holidays = routes.grouped("administration", "holidays")
        holidays.get(use: index)
        holidays.post(use: add)
        holidays.post("federal", use: loadFederal)
        holidays.post(":holidayID", "remove", use: remove)
    }

    struct HolidayForm: Content {
        var date: String?
        var name: String?
        var year: String?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let year: Int
        let previousYear: Int
        let nextYear: Int
        let holidays: [AdminHolidayResponse]
        let date: String
        let name: String
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
        let notice: String?
    }

    @Sendable func index(request: Request) async throws -> View {
        let chosen: Int?? = try? request.yearQuery()
        let year = (chosen ?? nil) ?? Calendar(identifier: .gregorian).component(.year, from: request.now)
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { Self.notices[$0] }
        return try await render(request, year: year, form: HolidayForm(), error: nil, notice: notice)
    }

    static let notices = [
        "added": "Holiday added.", "removed": "Holiday removed.", "loaded": "US federal holidays loaded.",
    ]

    private func render(
        _ request: Request, year: Int, form: HolidayForm, error: AdministrationError?, notice: String? = nil
    ) async throws -> View {
        let editor = HolidaysEditor(context: try request.adminContext)
        let errors = error.map { [$0.field ?? "form": $0.message] } ?? [:]
        let page = Page(
            layout: try await LayoutModel.make(request, title: "Holidays"), year: year,
            previousYear: max(year - 1, HolidaysEditor.years.lowerBound),
            nextYear: min(year + 1, HolidaysEditor.years.upperBound), holidays: try await editor.list(year: year),
            date: form.date ?? "", name: form.name ?? "",
            errors: errors,
            errorSummary: ErrorSummaryItem.list(
                errors, order: ["form", "date", "name", "year"], targets: ["year": "year-error"]),
            notice: notice)
        return try await request.view.render("admin-holidays", page)
    }

    private func formYear(_ form: HolidayForm, _ request: Request) -> Int {
        form.year.flatMap(Int.init).flatMap { HolidaysEditor.years.contains($0) ? $0 : nil }
            ?? Calendar(identifier: .gregorian).component(.year, from: request.now)
    }

    @Sendable func add(request: Request) async throws -> Response {
        let editor = HolidaysEditor(context: try request.adminContext)
        let form = try request.content.decode(HolidayForm.self)
        do {
            let holiday = try await editor.add(AdminHolidayInput(date: form.date, name: form.name))
            let year = holiday.date.prefix(4)
            return request.redirect(to: "/administration/holidays?year=\(year)&done=added", redirectType: .normal)
        } catch let error as AdministrationError where error.status == .unprocessableEntity {
            return try await render(request, year: formYear(form, request), form: form, error: error)
                .encodeResponse(status: error.status, for: request)
        }
    }

    @Sendable func loadFederal(request: Request) async throws -> Response {
        let editor = HolidaysEditor(context: try request.adminContext)
        let form = try request.content.decode(HolidayForm.self)
        do {
            let year = form.year.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            _ = try await editor.loadFederal(AdminFederalHolidaysInput(year: year))
            return request.redirect(
                to: "/administration/holidays?year=\(year ?? 0)&done=loaded", redirectType: .normal)
        } catch let error as AdministrationError where error.status == .unprocessableEntity {
            return try await render(request, year: formYear(form, request), form: HolidayForm(), error: error)
                .encodeResponse(status: error.status, for: request)
        }
    }

    @Sendable func remove(request: Request) async throws -> Response {
        let editor = HolidaysEditor(context: try request.adminContext)
        let form = try request.content.decode(HolidayForm.self)
        try await editor.remove(try request.adminID("holidayID"))
        return request.redirect(
            to: "/administration/holidays?year=\(formYear(form, request))&done=removed", redirectType: .normal)
    }
}
