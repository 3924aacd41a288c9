import Fluent
import SQLKit

/// A message sent with an `Idempotency-Key` keeps a hash of the request it came from, so the same key with another
/// request is refused instead of answering with the first message.
struct AddRequestHashToMessages: AsyncMigration {
    var name: String { "2026-12-01-02-AddRequestHashToMessages" }

    func prepare(on database: any Database) async throws {
        try await database.schema("messages").field("request_hash", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("messages").deleteField("request_hash").update()
    }
}
