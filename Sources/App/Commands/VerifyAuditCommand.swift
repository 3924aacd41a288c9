import Fluent
import Vapor

/// `carebox verify-audit`: walks the audit chain and says whether every event still hashes to the next. Exits 1 when
/// it is broken, so scripts (and the fault suite) can check it after a crash.
struct VerifyAuditCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    struct ChainBroken: Error, CustomStringConvertible {
        let sequence: Int64
        var description: String { "The audit chain is broken at event \(sequence)." }
    }

    var help: String { "Checks that the audit log's hash chain is intact." }

    func run(using context: CommandContext, signature: Signature) async throws {
        switch try await AuditLog.verify(on: context.application.db) {
        case .intact(let events): context.console.print("The audit chain is intact: \(events) events.")
        case .broken(let sequence): throw ChainBroken(sequence: sequence)
        }
    }
}
