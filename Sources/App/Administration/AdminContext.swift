import Fluent
import SQLKit
import Vapor

/// What an administration use case works with: the administrator, the database, the write queue and the organisation
/// cache. Every change runs in one write transaction and then drops the organisation from this server's cache, so the
/// next page here shows it; other servers see it within `OrganizationCache.lifetime`.
struct AdminContext: Sendable {
    let actor: AdminActor
    let db: any Database
    let writes: WriteSerializer
    let organizations: OrganizationCache

    var organizationID: UUID { actor.organizationID }

    /// A unique constraint that fails despite the checks made first means another administrator made the same change
    /// at the same moment (PostgreSQL runs transactions side by side): 409, never a 500.
    func change<T: Sendable>(_ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        do {
            let value = try await writes.transaction(on: db, work)
            organizations.forget(actor.organizationID)
            return value
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw AdministrationError.simultaneousChange
        }
    }

    /// Bumps a row's version if it is still `version` and belongs to the organisation (the organisation's own row when
    /// `table` is `organizations`). Anything else is a stale version: the caller has already found the row.
    static func bumpVersion(
        of table: String, id: UUID, organizationID: UUID, from version: Int, on db: any Database
    ) async throws {
        let owner: SQLQueryString =
            table == Organization.schema ? "" : " AND organization_id = \(bind: organizationID)"
        let rows = try await db.sql().raw(
            """
            UPDATE \(ident: table) SET version = version + 1 \
            WHERE id = \(bind: id) AND version = \(bind: version)\(owner) RETURNING id
            """
        ).all()
        guard !rows.isEmpty else { throw AdministrationError.versionConflict }
    }
}

extension Request {
    /// The administration context of the signed-in administrator; anyone else is refused (403).
    var adminContext: AdminContext {
        get throws {
            AdminContext(
                actor: try adminActor, db: db, writes: application.writes, organizations: application.organizations)
        }
    }
}

/// Text an administrator typed: trimmed, and refused when empty, too long, or holding control characters.
enum AdminText {
    static func clean(_ value: String?, field: String, label: String, max: Int, required: Bool = true) throws
        -> String
    {
        let text = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty && required { throw AdministrationError.invalid(field, "Enter \(label).") }
        if text.count > max {
            throw AdministrationError.invalid(
                field, "\(label.prefix(1).uppercased() + label.dropFirst()) can be at most \(max) characters.")
        }
        if text.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" && $0 != "\t"
        }) {
            throw AdministrationError.invalid(
                field, "\(label.prefix(1).uppercased() + label.dropFirst()) can't contain control characters.")
        }
        return text
    }
}

/// The version a page form carries, as text; missing or unreadable is a stale version, never an unconditional write.
enum FormVersion {
    static func parse(_ text: String?) throws -> Int {
        guard let text, let version = Int(text), version > 0 else { throw AdministrationError.versionConflict }
        return version
    }
}
