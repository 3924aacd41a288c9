import Vapor

/// The `carebox` program: reads the configuration for the command given, stops with every problem listed if it is
/// bad, and otherwise runs the command (`serve`, `demo`, `migrate`, `create-user`).
public enum CareboxCommandLine {
    /// - Returns: the process exit code.
    public static func run(
        arguments: [String], environment: [String: String], report: @Sendable (String) -> Void = { print($0) }
    ) async -> Int32 {
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "serve"
        let profile: AppConfig.Profile = command == "demo" ? .demo : .production

        let config: AppConfig
        do {
            config = try AppConfig.load(from: environment, profile: profile)
        } catch {
            report(error.description)
            return 1
        }

        let app: Application
        do {
            app = try await Application.make(
                Environment(name: profile == .demo ? "development" : "production", arguments: arguments))
        } catch {
            report("Carebox could not start: \(error)")
            return 1
        }
        var exitCode: Int32 = 0
        do {
            try await configure(app, config)
            try await app.execute()
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
}
