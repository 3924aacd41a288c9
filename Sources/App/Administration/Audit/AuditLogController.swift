import Fluent
import Vapor

/// The audit log page: search, page through, export, and Verify chain. Only the administrator's own organisation's
/// events are shown.
struct AuditLogController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let audit = routes.grouped("administration", "audit")
        audit.get(use: index)
        audit.get("export", use: export)
        audit.post("verify", use: verify)
    }

    /// The days to verify, and the search on the page, kept as it was.
    struct VerifyForm: Content {
        var verifyFrom: String?
        var verifyTo: String?
        var user: String?
        var patient: String?
        var action: String?
        var from: String?
        var to: String?

        enum CodingKeys: String, CodingKey {
            case user, patient, action, from, to
            case verifyFrom = "verify_from"
            case verifyTo = "verify_to"
        }
    }

    @Sendable func index(request: Request) async throws -> Response {
        let useCase = try request.auditLog()
        return try await render(request, useCase, input: request.auditSearchInput, cursor: try request.auditCursor())
    }

    @Sendable func export(request: Request) async throws -> Response {
        let useCase = try request.auditLog()
        let input = request.auditSearchInput
        let formatName = (try? request.query.get(String.self, at: "format")) ?? "csv"
        guard let format = AuditExport.Format(rawValue: formatName) else {
            throw AdministrationError.invalid("format", "Choose CSV or NDJSON.")
        }
        let zone = try await useCase.search.timeZone()
        let filter: AuditFilter
        do {
            filter = try await useCase.search.resolve(input, timeZone: zone)
        } catch let refusal as AuditSearchRefusal {
            return try await render(request, useCase, input: input, cursor: nil, refusal: refusal)
        }
        return try await useCase.export(input, filter: filter, format: format)
    }

    /// Runs the check and shows its result on the page at once: it changes nothing, so there is nothing to redirect
    /// to, and a result carried in a link could be forged.
    @Sendable func verify(request: Request) async throws -> Response {
        let useCase = try request.auditLog()
        let form = try request.content.decode(VerifyForm.self)
        let input = AuditSearchInput(
            user: form.user, patient: form.patient, action: form.action, from: form.from, to: form.to)
        let zone = try await useCase.search.timeZone()
        let verification: AuditLogPage.Verification
        do {
            let range = try AuditDates.range(
                from: form.verifyFrom, to: form.verifyTo, in: zone, fields: ("verify_from", "verify_to"))
            let report = try await useCase.verify(range)
            verification = Self.describe(report, ranged: range != AuditChainRange(), zone: zone)
        } catch let refusal as AuditSearchRefusal {
            return try await render(
                request, useCase, input: input, cursor: nil, verifyRefusal: refusal,
                verifyDays: (form.verifyFrom, form.verifyTo))
        }
        return try await render(
            request, useCase, input: input, cursor: nil, verification: verification,
            verifyDays: (form.verifyFrom, form.verifyTo))
    }

    static func describe(_ report: AuditChainReport, ranged: Bool, zone: TimeZone) -> AuditLogPage.Verification {
        let scope = ranged ? "in the chosen dates" : "in the whole log"
        guard let broken = report.broken else {
            return .init(intact: true, message: "The audit chain is intact: \(events(report.events)) checked \(scope).")
        }
        guard let id = broken.id, let when = broken.occurredAt else {
            return .init(
                intact: false,
                message:
                    "The audit chain is broken: event \(broken.sequence) is missing. \(intactBefore(report.events))"
            )
        }
        let time = AuditLogPage.formatter(zone).string(from: when) + " " + zone.identifier
        return .init(
            intact: false,
            message:
                "The audit chain is broken at event \(broken.sequence) (id \(id.uuidString.lowercased()), recorded \(time)): it was changed, or one before it was removed. \(intactBefore(report.events))"
        )
    }

    private static func events(_ count: Int) -> String {
        count == 1 ? "1 event" : "\(count) events"
    }

    private static func intactBefore(_ count: Int) -> String {
        count == 1 ? "1 event before it is intact." : "\(count) events before it are intact."
    }

    private func render(
        _ request: Request, _ useCase: AuditLogUseCase, input: AuditSearchInput, cursor: AuditCursor?,
        refusal: AuditSearchRefusal? = nil, verification: AuditLogPage.Verification? = nil,
        verifyRefusal: AuditSearchRefusal? = nil, verifyDays: (String?, String?) = (nil, nil)
    ) async throws -> Response {
        let search = useCase.search
        let zone = try await search.timeZone()
        var errors = (refusal?.errors ?? []) + (verifyRefusal?.errors ?? [])
        var rows: [AuditLogPage.Row] = []
        var page = AuditEventPage(items: [], newer: nil, older: nil)
        if refusal == nil {
            do {
                let filter = try await search.resolve(input, timeZone: zone)
                page = try await search.page(filter, cursor: cursor)
                let people = try await search.people(in: page.items)
                let formatter = AuditLogPage.formatter(zone)
                rows = page.items.map { AuditLogPage.row(AuditRow($0, people: people), formatter: formatter) }
            } catch let searchRefusal as AuditSearchRefusal {
                errors = searchRefusal.errors + errors
            }
        }
        let fields = Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
        let path = "/administration/audit"
        let options = AuditLogPage.options(selected: input.action)
        let model = AuditLogPage(
            layout: try await LayoutModel.make(request, title: "Audit log"),
            timeZone: zone.identifier,
            search: .init(
                user: input.user ?? "", patient: input.patient ?? "", action: input.action ?? "",
                from: input.from ?? "", to: input.to ?? ""),
            families: options.families, actions: options.actions,
            patients: try await search.patients().map { .init(username: $0.username ?? "", name: $0.name) },
            errors: fields,
            errorSummary: ErrorSummaryItem.list(
                fields, order: errors.map(\.field),
                targets: [
                    "user": "audit-user", "patient": "audit-patient", "action": "audit-action", "from": "audit-from",
                    "to": "audit-to", "verify_from": "verify-from", "verify_to": "verify-to",
                ]),
            rows: rows,
            newerLink: page.newer.map { AuditLogPage.link(path, input, [URLQueryItem(name: "after", value: "\($0)")]) },
            olderLink: page.older.map {
                AuditLogPage.link(path, input, [URLQueryItem(name: "before", value: "\($0)")])
            },
            csvLink: AuditLogPage.link(path + "/export", input, [URLQueryItem(name: "format", value: "csv")]),
            ndjsonLink: AuditLogPage.link(path + "/export", input, [URLQueryItem(name: "format", value: "ndjson")]),
            verification: verification, verifyFrom: verifyDays.0 ?? "", verifyTo: verifyDays.1 ?? "")
        return try await request.view.render("admin-audit", model)
            .encodeResponse(status: errors.isEmpty ? .ok : .unprocessableEntity, for: request)
    }
}

extension Request {
    /// `before` (Next: older events) or `after` (Previous: newer events), a sequence number.
    func auditCursor() throws -> AuditCursor? {
        for name in ["before", "after"] {
            guard let text = try? query.get(String.self, at: name) else { continue }
            guard let sequence = AuditCursor.sequence(text) else {
                throw AdministrationError.invalid(name, "\(name) must be an event's sequence number.")
            }
            return name == "before" ? .olderThan(sequence) : .newerThan(sequence)
        }
        return nil
    }
}
