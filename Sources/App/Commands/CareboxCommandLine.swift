import Vapor

/// The `carebox` program: reads the configuration for the command given, stops with every problem listed if it is
/// bad, and otherwise runs the command (`serve`, `demo`, `migrate`, `create-user`).
public enum CareboxCommandLine {
    /// - Returns: the process exit code.
    public static func run(
        arguments: [String], environment: [String: String], report: @Sendable (String) -> Void = { print($0) }
    ) async -> Int32 {
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "serve"
        // `demo` and the benchmark loader run on a developer's machine: they fill in what a laptop run needs.
        let profile: AppConfig.Profile = ["demo", "bench-data"].contains(command) ? .demo : .production

        var config: AppConfig
        do {
            config = try AppConfig.load(from: environment, profile: profile)
        } catch {
            report(error.description)
            return 1
        }
        let serves = ["serve", "demo"].contains(command)
        // Only a running server sends notifications; `migrate` or `audit verify` must not.
        if !serves {
            config.notificationInterval = nil
            config.eventsAddress = nil
        }
        if serves {
            report(
                config.smtp.map { "Notification emails go through \($0.host):\($0.port) from \(config.mailFrom)." }
                    ?? "CAREBOX_SMTP_URL is not set: no notification emails are sent.")
            report(
                config.clamd.map {
                    "Attachments are scanned by clamd at \($0); when it cannot answer they are \(config.clamdFailure == .closed ? "refused" : "accepted unscanned")."
                }
                    ?? "CAREBOX_CLAMD is not set: attachments are not scanned for viruses.")
        }

        let app: Application
        do {
            app = try await Application.make(
                Environment(name: profile == .demo ? "development" : "production", arguments: arguments))
        } catch {
            report("Carebox could not start: \(error)")
            return 1
        }
        app.directory = DirectoryConfiguration(workingDirectory: installationDirectory(environment))
        var exitCode: Int32 = 0
        do {
            try await configure(app, config)
            try await app.execute()
            // SIGTERM or SIGINT: stop accepting and let requests in flight finish (at most 10 s) while the databases
            // are still there; Vapor's own shutdown would close the databases first and then the server.
            await app.server.shutdown()
        } catch let error as CommandUsageError {
            report(error.description)
            exitCode = 64
        } catch {
            app.logger.report(error: error)
            exitCode = 1
        }
        try? await app.asyncShutdown()
        return exitCode
    }

    /// Where `Resources/` and `Public/` are: `CAREBOX_HOME` if set, else the working directory if it has them, else
    /// the package the running binary was built in (`…/.build/debug/carebox`), so `carebox` runs from anywhere.
    static func installationDirectory(_ environment: [String: String]) -> String {
        if let home = environment["CAREBOX_HOME"], !home.isEmpty { return home.hasSuffix("/") ? home : home + "/" }
        let manager = FileManager.default
        let current = manager.currentDirectoryPath
        if manager.fileExists(atPath: current + "/Resources/Views") { return current + "/" }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while folder.path != "/" {
            if manager.fileExists(atPath: folder.appendingPathComponent("Resources/Views").path) {
                return folder.path + "/"
            }
            folder.deleteLastPathComponent()
        }
        return current + "/"
    }
}
