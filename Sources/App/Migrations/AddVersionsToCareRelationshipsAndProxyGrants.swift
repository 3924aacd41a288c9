import Fluent
import SQLKit

/// A version on care relationships and proxy grants, so an administrator ending one carries `If-Match` and two
/// administrators at once cannot overwrite each other's end date.
struct AddVersionsToCareRelationshipsAndProxyGrants: AsyncMigration {
    var name: String { "2026-12-02-20-AddVersionsToCareRelationshipsAndProxyGrants" }

    func prepare(on database: any Database) async throws {
        for table in ["care_relationships", "proxy_grants"] {
            try await database.schema(table)
                .field("version", .int, .required, .sql(.default(SQLLiteral.numeric("1")))).update()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["proxy_grants", "care_relationships"] {
            try await database.schema(table).deleteField("version").update()
        }
    }
}
