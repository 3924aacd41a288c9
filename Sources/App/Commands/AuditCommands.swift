import Domain
import Fluent
import Vapor

/// `carebox audit …`: the audit log's commands. `verify` checks the hash chain.
struct AuditCommands: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["verify": AuditVerifyCommand()] }
    var help: String { "The audit log: `audit verify` checks its hash chain." }
}

/// `carebox audit verify [--from YYYY-MM-DD] [--to YYYY-MM-DD]`: walks the audit chain, or the events that occurred on
/// those days (UTC), and names the first event that does not hash to the next. Exits 1 when the chain is broken.
struct AuditVerifyCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "The first day to check, YYYY-MM-DD (UTC). Default: the first event.")
        var from: String?

        @Option(name: "to", help: "The last day to check, YYYY-MM-DD (UTC). Default: the last event.")
        var to: String?
    }

    var help: String { "Checks that the audit log's hash chain is intact, or names the first broken event." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let range: AuditChainRange
        do {
            range = try AuditDates.range(
                from: signature.from, to: signature.to, in: AuditDates.utc, fields: ("--from", "--to"))
        } catch let refusal as AuditSearchRefusal {
            throw CommandUsageError(problems: refusal.errors.map { "\($0.field): \($0.message)" })
        }
        let report = try await AuditLog.verify(on: context.application.db, range: range)
        try Self.finish(report, console: context.console)
    }

    /// Prints that the chain is intact, or throws naming the first broken event (the process exits 1).
    static func finish(_ report: AuditChainReport, console: any Console) throws {
        if let broken = report.broken {
            // Its description is what `carebox` prints on the way out.
            throw ChainBroken(event: broken, intactBefore: report.events)
        }
        console.print("The audit chain is intact: \(report.events) events.")
    }

    struct ChainBroken: Error, CustomStringConvertible {
        let event: AuditChainReport.BrokenEvent
        let intactBefore: Int

        var description: String {
            guard let id = event.id, let when = event.occurredAt else {
                return
                    "The audit chain is broken: event \(event.sequence) is missing (\(intactBefore) events before it are intact)."
            }
            let time = ISO8601DateFormatter.string(
                from: when, timeZone: AuditDates.utc, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
            return
                "The audit chain is broken at event \(event.sequence) (id \(id.uuidString.lowercased()), occurred \(time)); \(intactBefore) events before it are intact."
        }
    }
}
