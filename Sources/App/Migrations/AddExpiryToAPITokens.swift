import Fluent
import Foundation
import SQLKit

/// API tokens expire (90 days unless chosen, at most a year) and keep when they were last used. A token made before
/// this expires 90 days after it was made.
struct AddExpiryToAPITokens: AsyncMigration {
    var name: String { "2026-12-03-06-AddExpiryToAPITokens" }

    func prepare(on database: any Database) async throws {
        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        try await database.schema("api_tokens").field("expires_at", .datetime).update()
        try await database.schema("api_tokens").field("last_used_at", .datetime).update()
        let sql = database.sql()
        for row in try await sql.raw("SELECT id, created_at FROM api_tokens").all() {
            let created = try row.decode(column: "created_at", as: Date.self)
            try await sql.raw(
                """
                UPDATE api_tokens SET expires_at = \(bind: created.addingTimeInterval(APITokens.defaultLifetime)) \
                WHERE id = \(bind: try row.decode(column: "id", as: UUID.self))
                """
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_tokens").deleteField("last_used_at").update()
        try await database.schema("api_tokens").deleteField("expires_at").update()
    }
}
