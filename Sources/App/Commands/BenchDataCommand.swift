import Fluent
import Vapor

/// `carebox bench-data --messages N`: migrates and fills the database with the "Bench Health" organisation for
/// benchmarks (see bench/). Bulk inserts; prints what it made and how long it took.
struct BenchDataCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "messages", help: "How many messages (default 10000).")
        var messages: Int?

        @Option(name: "patients", help: "How many patients (default a tenth of the messages).")
        var patients: Int?

        @Option(name: "providers", help: "How many providers (default one per 50 patients, at least 50).")
        var providers: Int?

        @Option(name: "seed", help: "Random seed; the same seed makes the same dataset (default 42).")
        var seed: Int?
    }

    var help: String { "Fills the database with a benchmark dataset (organisation \"Bench Health\")." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.autoMigrate()
        guard try await Organization.query(on: app.db).filter(\.$name == BenchDataset.organizationName).first() == nil
        else {
            throw CommandUsageError(problems: [
                "\(BenchDataset.organizationName) is already loaded; use a fresh database"
            ])
        }
        var size = BenchDataset.Size.forMessages(signature.messages ?? 10_000)
        if let patients = signature.patients { size.patients = patients }
        if let providers = signature.providers { size.providers = providers }
        let started = Date()
        var dataset = BenchDataset(
            size: size, passwordHash: try await app.password.async.hash(BenchDataset.password), now: Date(),
            seed: UInt64(signature.seed ?? 42))
        let summary = try await dataset.load(on: app.db)
        context.console.print(
            "Loaded \(summary.messages) messages in \(summary.conversations) conversations for \(summary.patients) patients "
                + "and \(summary.providers) providers in \(String(format: "%.1f", Date().timeIntervalSince(started))) s. "
                + "Sign in as bench-patient-0 … or bench-provider-0 … with password \"\(BenchDataset.password)\".")
    }
}
