import Fluent
import Foundation
import SQLKit

/// Care relationships and proxy grants of one organisation's patients.
extension PeopleQueries {
    func careRelationships(ofPatient patient: UUID) async throws -> [CareRelationship] {
        try await CareRelationship.query(on: db).filter(\.$organization.$id == organizationID)
            .filter(\.$patient.$id == patient).sort(\.$activeFrom, .descending).sort(\.$id).all()
    }

    func careRelationship(_ id: UUID, ofPatient patient: UUID) async throws -> CareRelationship? {
        try await CareRelationship.query(on: db).filter(\.$id == id).filter(\.$organization.$id == organizationID)
            .filter(\.$patient.$id == patient).first()
    }

    /// Sets the last day of a relationship still at `version`, bumping it.
    func endCareRelationship(_ id: UUID, until: String, version: Int) async throws -> Bool {
        try await !db.sql().raw(
            """
            UPDATE care_relationships SET active_until = \(bind: until), version = version + 1
            WHERE id = \(bind: id) AND organization_id = \(bind: organizationID) AND version = \(bind: version)
            RETURNING id
            """
        ).all().isEmpty
    }

    func proxyGrants(ofPatient patient: UUID) async throws -> [ProxyGrant] {
        try await ProxyGrant.query(on: db).filter(\.$organization.$id == organizationID)
            .filter(\.$patient.$id == patient).sort(\.$activeFrom, .descending).sort(\.$id).all()
    }

    /// The grants a person holds as a proxy, for their page.
    func proxyGrants(ofProxy proxy: UUID) async throws -> [ProxyGrant] {
        try await ProxyGrant.query(on: db).filter(\.$organization.$id == organizationID)
            .filter(\.$proxy.$id == proxy).sort(\.$activeFrom, .descending).sort(\.$id).all()
    }

    func proxyGrant(_ id: UUID, ofPatient patient: UUID) async throws -> ProxyGrant? {
        try await ProxyGrant.query(on: db).filter(\.$id == id).filter(\.$organization.$id == organizationID)
            .filter(\.$patient.$id == patient).first()
    }

    /// Ends a grant still at `version`: sets its last day, or removes it when it would end before it began.
    func endProxyGrant(_ id: UUID, until: String?, version: Int) async throws -> Bool {
        let statement: SQLQueryString =
            if let until {
                "UPDATE proxy_grants SET active_until = \(bind: until), version = version + 1"
            } else {
                "DELETE FROM proxy_grants"
            }
        return try await !db.sql().raw(
            """
            \(statement)
            WHERE id = \(bind: id) AND organization_id = \(bind: organizationID) AND version = \(bind: version)
            RETURNING id
            """
        ).all().isEmpty
    }

    /// Names of the organisation's people, by id.
    func names(_ ids: Set<UUID>) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let users = try await User.query(on: db).filter(\.$id ~~ ids).filter(\.$organization.$id == organizationID)
            .all()
        return Dictionary(uniqueKeysWithValues: users.map { ($0.id!, $0.personName.displayName) })
    }
}
