import Fluent
import Vapor

/// `carebox demo`: migrates, loads Riverbend Health if it is not there yet, prints the demo sign-ins, and serves.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "hostname", short: "H", help: "The address to listen on (default 127.0.0.1).")
        var hostname: String?

        @Option(name: "port", short: "p", help: "The port to listen on (default 8080).")
        var port: Int?
    }

    var help: String { "Runs Carebox with the Riverbend Health demo organisation." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.autoMigrate()
        let loaded = try await DemoOrganization.loadIfMissing(on: app.db, passwordHasher: app.password.async)

        let hostname = signature.hostname ?? "127.0.0.1"
        let port = signature.port ?? 8080

        let console = context.console
        console.print(
            loaded
                ? "Loaded the demo organisation \(DemoOrganization.name)."
                : "\(DemoOrganization.name) is already loaded.")
        console.print(
            "Sign in at http://\(hostname):\(port)/sign-in with password \"\(DemoOrganization.password)\" as:")
        for (username, who) in DemoOrganization.signIns {
            console.print("  \(username.padding(toLength: 9, withPad: " ", startingAt: 0)) \(who)")
        }
        var serveInput = CommandInput(arguments: ["carebox", "--hostname", hostname, "--port", String(port)])
        let serve = try ServeCommand.Signature(from: &serveInput)
        try await (await app.servers.asyncCommand).run(using: context, signature: serve)
    }
}
