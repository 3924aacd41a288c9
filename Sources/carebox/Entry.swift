import App
import Foundation
import Vapor

@main
enum Entry {
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let code = await CareboxCommandLine.run(
            arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)
        exit(code)
    }
}
