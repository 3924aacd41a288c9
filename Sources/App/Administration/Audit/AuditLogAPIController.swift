import Fluent
import Vapor

/// The audit log in the JSON API, under `/api/v1/admin/audit-events`: search with a cursor, export, verify.
struct AuditLogAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let events = routes.grouped("audit-events")
        events.get(use: list)
        events.get("export", use: export)
        events.post("verify", use: verify)
    }

    @Sendable func list(request: Request) async throws -> AdminAuditEventPageResponse {
        let useCase = try request.auditLog()
        let filter = try await resolve(request, useCase)
        var cursor: AuditCursor?
        if let text = try? request.query.get(String.self, at: "cursor") {
            guard let sequence = AuditCursor.sequence(text) else {
                throw AdministrationError(
                    .unprocessableEntity, "invalid_cursor", "cursor is not one this API gave out.", field: "cursor")
            }
            cursor = .olderThan(sequence)
        }
        let limit = try request.intQuery("limit", in: 1...200) ?? AuditLogSearch.pageSize
        let page = try await useCase.search.page(filter, cursor: cursor, limit: limit)
        let people = try await useCase.search.people(in: page.items)
        return AdminAuditEventPageResponse(
            items: page.items.map { AdminAuditEventResponse(AuditRow($0, people: people)) },
            nextCursor: page.older.map(String.init))
    }

    @Sendable func export(request: Request) async throws -> Response {
        let useCase = try request.auditLog()
        let formatName = (try? request.query.get(String.self, at: "format")) ?? "csv"
        guard let format = AuditExport.Format(rawValue: formatName) else {
            throw AdministrationError.invalid("format", "format must be csv or ndjson.")
        }
        let filter = try await resolve(request, useCase)
        return try await useCase.export(request.auditSearchInput, filter: filter, format: format)
    }

    @Sendable func verify(request: Request) async throws -> AdminAuditVerificationResponse {
        let useCase = try request.auditLog()
        var body = AdminAuditVerifyRequest()
        if let bytes = request.body.data, bytes.readableBytes > 0 {
            body = try request.content.decode(AdminAuditVerifyRequest.self)
        }
        let zone = try await useCase.search.timeZone()
        let range: AuditChainRange
        do {
            range = try AuditDates.range(from: body.from, to: body.to, in: zone)
        } catch let refusal as AuditSearchRefusal {
            throw refusal.first
        }
        return AdminAuditVerificationResponse(try await useCase.verify(range))
    }

    private func resolve(_ request: Request, _ useCase: AuditLogUseCase) async throws -> AuditFilter {
        do {
            return try await useCase.search.resolve(
                request.auditSearchInput, timeZone: try await useCase.search.timeZone())
        } catch let refusal as AuditSearchRefusal {
            throw refusal.first
        }
    }
}

struct AdminAuditVerifyRequest: Content {
    var from: String?
    var to: String?
}

struct AdminAuditEventPageResponse: Content {
    let items: [AdminAuditEventResponse]
    let nextCursor: String?
}

struct AdminAuditEventResponse: Content {
    struct Person: Content {
        let id: UUID
        let username: String?
        let name: String?
    }

    let sequence: Int64
    let id: UUID
    let occurredAt: String
    let actor: Person?
    let actingFor: Person?
    let action: String
    let actionText: String
    let recordType: String?
    let recordId: UUID?
    let outcome: String
    let address: String?
    let changes: [AuditRow.FieldChange]
    let hash: String

    init(_ row: AuditRow) {
        sequence = row.sequence
        id = row.id
        occurredAt = ISO8601DateFormatter.string(
            from: row.occurredAt, timeZone: AuditDates.utc,
            formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        actor = row.actorID.map { Person(id: $0, username: row.actor?.username, name: row.actor?.name) }
        actingFor = row.actingForID.map { Person(id: $0, username: row.actingFor?.username, name: row.actingFor?.name) }
        action = row.action
        actionText = row.actionText
        recordType = row.recordType
        recordId = row.recordID
        outcome = row.outcome
        address = row.address
        changes = row.changes
        hash = row.hash
    }
}

struct AdminAuditVerificationResponse: Content {
    struct Broken: Content {
        let sequence: Int64
        let id: UUID?
        let occurredAt: String?
    }

    let intact: Bool
    let events: Int
    let broken: Broken?

    init(_ report: AuditChainReport) {
        intact = report.intact
        events = report.events
        broken = report.broken.map {
            Broken(
                sequence: $0.sequence, id: $0.id,
                occurredAt: $0.occurredAt.map {
                    ISO8601DateFormatter.string(
                        from: $0, timeZone: AuditDates.utc,
                        formatOptions: [.withInternetDateTime, .withFractionalSeconds])
                })
        }
    }
}
