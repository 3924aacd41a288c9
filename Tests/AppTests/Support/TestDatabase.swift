import App
import FluentPostgresDriver
import Foundation
import Logging

/// A fresh, empty database for one test. SQLite when `DATABASE_URL` is unset; otherwise a new PostgreSQL database on
/// that server, so tests running in parallel never share tables.
struct TestDatabase {
    let storage: AppConfig.Storage
    private let drop: @Sendable () async throws -> Void

    static var serverURL: String? {
        ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func create() async throws -> TestDatabase {
        let name = "carebox_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        guard let serverURL else {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).sqlite").path
            return TestDatabase(storage: .sqlite(path: path)) {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        try await administer(serverURL, "CREATE DATABASE \(name)")
        var components = URLComponents(string: serverURL)!
        components.path = "/\(name)"
        return TestDatabase(storage: .postgres(url: components.string!)) {
            try await administer(serverURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    func destroy() async throws { try await drop() }

    /// Runs one statement on the server's own database; names are generated above, never from input.
    private static func administer(_ url: String, _ statement: String) async throws {
        let configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
        let logger = Logger(label: "test-database")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
