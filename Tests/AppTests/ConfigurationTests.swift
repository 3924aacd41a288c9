import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import App

@Suite struct ConfigurationTests {
    @Test func serveWithBadConfigurationListsEveryProblemAtOnceAndStops() async throws {
        let output = NIOLockedValueBox<[String]>([])
        let code = await CareboxCommandLine.run(
            arguments: ["carebox", "serve"],
            environment: [
                "DATABASE_URL": "mysql://carebox:s3cret-password@db.example/carebox",
                "CAREBOX_SESSION_IDLE_MINUTES": "soon",
                "CAREBOX_BCRYPT_COST": "4",
                "CAREBOX_PG_CONNECTIONS_PER_CORE": "0",
                "CAREBOX_LOG_LEVEL": "loud",
                "CAREBOX_EVENTS_ADDRESS": "8081",
            ],
            report: { line in output.withLockedValue { $0.append(line) } })
        let text = output.withLockedValue { $0.joined(separator: "\n") }

        #expect(code != 0)
        #expect(text.contains("DATABASE_URL"))
        #expect(text.contains("CAREBOX_PUBLIC_URL is required"))
        #expect(text.contains("CAREBOX_SESSION_IDLE_MINUTES"))
        #expect(text.contains("CAREBOX_BCRYPT_COST"))
        #expect(text.contains("CAREBOX_PG_CONNECTIONS_PER_CORE"))
        #expect(text.contains("CAREBOX_LOG_LEVEL"))
        #expect(text.contains("CAREBOX_EVENTS_ADDRESS must be HOST:PORT"))
        #expect(text.contains("CAREBOX_ATTACHMENT_KEY is required"))
        #expect(!text.contains("s3cret-password"), "a password in DATABASE_URL must never be printed")
    }

    @Test func serveRequiresAPublicAddressAndAnAttachmentKeyButDemoMakesItsOwn() throws {
        #expect(
            throws: ConfigurationError(problems: [
                "CAREBOX_PUBLIC_URL is required: the https address users reach Carebox at",
                "CAREBOX_ATTACHMENT_KEY is required: attachments are encrypted with it (openssl rand -base64 32)",
            ])
        ) {
            try AppConfig.load(from: [:], profile: .production)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("carebox.sqlite").path
        let demo = try AppConfig.load(from: ["CAREBOX_SQLITE_PATH": path], profile: .demo)
        #expect(demo.storage == .sqlite(path: path))
        #expect(!demo.secureCookies)
        #expect(demo.attachmentKey.count == 32)
        // The demo keeps its key beside its database and uses the same one next time.
        #expect(FileManager.default.fileExists(atPath: path + ".attachment-key"))
        #expect(
            try AppConfig.load(from: ["CAREBOX_SQLITE_PATH": path], profile: .demo).attachmentKey == demo.attachmentKey)
    }

    @Test func aGoodProductionConfigurationIsReadAsGiven() throws {
        let config = try AppConfig.load(
            from: [
                "CAREBOX_PUBLIC_URL": "https://portal.example.org", "DATABASE_URL": "postgres://u:p@db:5432/carebox",
                "CAREBOX_SESSION_IDLE_MINUTES": "10", "CAREBOX_SESSION_LIFETIME_HOURS": "8",
                "CAREBOX_BCRYPT_COST": "13", "CAREBOX_PG_CONNECTIONS_PER_CORE": "3",
                "CAREBOX_ATTACHMENT_KEY": Data(repeating: 7, count: 32).base64EncodedString(),
                "CAREBOX_EVENTS_ADDRESS": "[::1]:8081",
            ], profile: .production)
        #expect(config.storage == .postgres(url: "postgres://u:p@db:5432/carebox"))
        #expect(config.secureCookies)
        #expect(config.sessionPolicy.idleTimeout == 600)
        #expect(config.sessionPolicy.absoluteLifetime == 8 * 3600)
        #expect(config.bcryptCost == 13)
        #expect(config.postgresConnectionsPerLoop == 3)
        #expect(config.attachmentKey == [UInt8](repeating: 7, count: 32))
        #expect(config.eventsAddress == ListenAddress(host: "::1", port: 8081))
    }

    @Test func theStreamsAddressIsAHostAndAPort() {
        #expect(ListenAddress(parsing: "127.0.0.1:8081") == ListenAddress(host: "127.0.0.1", port: 8081))
        #expect(ListenAddress(parsing: "events.internal:0") == ListenAddress(host: "events.internal", port: 0))
        #expect(ListenAddress(parsing: "[::1]:8081")?.description == "[::1]:8081")
        for bad in ["8081", ":8081", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http", "a b:1"] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func anIdleTimeoutLongerThanTheLifetimeIsRefused() {
        #expect(throws: ConfigurationError.self) {
            try AppConfig.load(
                from: ["CAREBOX_SESSION_IDLE_MINUTES": "120", "CAREBOX_SESSION_LIFETIME_HOURS": "1"], profile: .demo)
        }
    }
}
