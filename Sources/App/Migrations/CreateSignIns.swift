import Fluent
import SQLKit

/// Each sign-in whose password was right, for the person's Security page (docs/accounts.md): when, from which
/// address and browser (its short name only), whether from a browser new to the account, and whether the code after
/// the password was given. `session_hash` is the session's token hash, to mark the code given and "this browser".
struct CreateSignIns: AsyncMigration {
    var name: String { "2026-12-03-08-CreateSignIns" }

    func prepare(on database: any Database) async throws {
        try await database.schema("sign_ins")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("session_hash", .string, .required)
            .field("signed_in_at", .datetime, .required)
            .field("address", .string, .required)
            .field("browser", .string, .required)
            .field("new_device", .bool, .required)
            .field("completed", .bool, .required)
            .create()
        try await database.sql().create(index: "sign_ins_user_id_signed_in_at_idx").on("sign_ins")
            .column("user_id").column("signed_in_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sign_ins").delete()
    }
}
