import Fluent
import Vapor

/// `carebox migrate`: brings the database schema up to date. Safe to run again; it asks nothing, so it can run in a
/// deployment script.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Applies any migrations not yet applied to the database." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await context.application.autoMigrate()
        context.console.print("Database is up to date.")
    }
}
