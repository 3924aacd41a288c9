import Fluent
import SQLKit

/// SQLite settings that live in the database file. WAL lets readers go on while one writer commits; it is a property
/// of the file, so setting it once at start-up covers every connection. Foreign keys are switched on per connection by
/// the driver, and the driver's busy handler makes a connection wait for a lock instead of failing.
enum SQLitePragmas {
    static func apply(on database: any Database) async throws {
        try await database.sql().raw("PRAGMA journal_mode = WAL").run()
    }
}
