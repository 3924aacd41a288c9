import Fluent
import SQLKit

struct CreateSignInAttempts: AsyncMigration {
    var name: String { "2026-11-24-12-CreateSignInAttempts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("sign_in_attempts")
            .id()
            .field("username", .string, .required)
            .field("address", .string, .required)
            .field("succeeded", .bool, .required)
            .field("attempted_at", .datetime, .required)
            .create()
        // The throttle asks "recent failures for this username" and "for this address" on every sign-in.
        try await database.sql().create(index: "sign_in_attempts_username_idx")
            .on("sign_in_attempts").column("username").column("attempted_at").run()
        try await database.sql().create(index: "sign_in_attempts_address_idx")
            .on("sign_in_attempts").column("address").column("attempted_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sign_in_attempts").delete()
    }
}
