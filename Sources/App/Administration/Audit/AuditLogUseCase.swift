import Fluent
import Foundation
import Vapor

/// What the audit log pages and API do, each in one call: search a page, export, verify the chain. Both the web and
/// the API controller call these.
struct AuditLogUseCase: Sendable {
    let search: AuditLogSearch
    let writes: WriteSerializer

    var actor: AdminActor { search.actor }

    /// Records that the administrator took a copy of the log, with the search it covered, and answers the download.
    func export(_ input: AuditSearchInput, filter: AuditFilter, format: AuditExport.Format) async throws -> Response {
        var after = ["format": format.rawValue]
        for item in input.queryItems {
            if let value = item.value?.trimmingCharacters(in: .whitespaces), !value.isEmpty { after[item.name] = value }
        }
        let actor = self.actor
        let change = AuditChange(before: nil, after: after)
        try await writes.transaction(on: search.db) { db in
            try await actor.audit("admin.audit.export", "audit_log", nil, change: change, on: db)
        }
        return AuditExport(search: search, filter: filter, format: format).response(at: actor.now)
    }

    /// Checks the hash chain, all of it or the events of a range of days in the organisation's time zone. The chain is
    /// one for all organisations; the answer names only a broken event's sequence, id and time.
    func verify(_ range: AuditChainRange) async throws -> AuditChainReport {
        try await AuditLog.verify(on: search.db, range: range)
    }
}

extension Request {
    func auditLog() throws -> AuditLogUseCase {
        AuditLogUseCase(search: AuditLogSearch(db: db, actor: try adminActor), writes: application.writes)
    }

    /// The search fields of the query string.
    var auditSearchInput: AuditSearchInput {
        func text(_ name: String) -> String? { try? query.get(String.self, at: name) }
        return AuditSearchInput(
            user: text("user"), patient: text("patient"), action: text("action"), from: text("from"), to: text("to"))
    }
}
