import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Vapor

/// A failure of what Carebox stands on rather than of the request: the database cannot be reached (503, try again
/// shortly) or the disk is full (507). Neither is the caller's fault, and neither is a bug to answer with 500.
enum ServiceTrouble: Equatable {
    case databaseUnavailable
    case storageFull

    /// Seconds a client should wait before retrying while the database is away.
    static let retryAfterSeconds = 2

    init?(_ error: any Error) {
        switch error {
        case let postgres as PSQLError:
            guard let trouble = Self.classify(postgres) else { return nil }
            self = trouble
        case let sqlite as SQLiteError where sqlite.reason == .full:
            self = .storageFull
        case let io as IOError where [ENOSPC, EDQUOT].contains(io.errnoCode):
            self = .storageFull
        case let posix as POSIXError where [.ENOSPC, .EDQUOT].contains(posix.code):
            self = .storageFull
        case let cocoa as CocoaError where cocoa.code == .fileWriteOutOfSpace:
            // FileHandle's writes (the blob store) report a full disk this way.
            self = .storageFull
        case is NIOConnectionError, ChannelError.connectTimeout, ChannelError.ioOnClosedChannel,
            is RequestDeadlineMiddleware.Exceeded:
            self = .databaseUnavailable
        default:
            // PostgresClient's pool refuses requests for a moment after connections keep failing; its error type
            // lives in a module Carebox does not import.
            guard String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError") else { return nil }
            self = .databaseUnavailable
        }
    }

    private static func classify(_ error: PSQLError) -> ServiceTrouble? {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .poolClosed:
            return .databaseUnavailable
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // Class 53: insufficient resources (53100 disk full); 57P: shutting down or starting up; 08: connection.
            if state == "53100" { return .storageFull }
            if state.hasPrefix("57P") || state.hasPrefix("08") || state == "53300" { return .databaseUnavailable }
            return nil
        default:
            return nil
        }
    }

    var page: PageError {
        switch self {
        case .databaseUnavailable:
            PageError(
                status: .serviceUnavailable, code: "database_unavailable", title: "Try again in a moment",
                message:
                    "Carebox can't reach its database just now. Nothing you sent in this request was saved; wait a few seconds and try again."
            )
        case .storageFull:
            PageError(
                status: .insufficientStorage, code: "storage_full", title: "Carebox is out of storage space",
                message:
                    "This could not be saved because the server is out of storage space. Nothing was changed. Try again later."
            )
        }
    }
}

/// Logs a recurring condition at most once a minute, so a full disk under load is one line a minute, not one a
/// request.
final class ThrottledLog: Sendable {
    private let lastLogged = NIOLockedValueBox<[String: Date]>([:])
    let interval: TimeInterval

    init(interval: TimeInterval = 60) {
        self.interval = interval
    }

    /// Whether `key` should be logged now (and, if so, notes that it was).
    func shouldLog(_ key: String, now: Date = Date()) -> Bool {
        lastLogged.withLockedValue { last in
            if let previous = last[key], now.timeIntervalSince(previous) < interval { return false }
            last[key] = now
            return true
        }
    }
}

extension PostgresClient.Configuration {
    /// From a `postgres://user:password@host:port/database?sslmode=disable|prefer|require` address.
    init(url text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme),
            let host = url.host, !host.isEmpty, let user = url.user
        else { throw PostgresAddressError() }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw PostgresAddressError()
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.init(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
    }
}

struct PostgresAddressError: Error, CustomStringConvertible {
    var description: String { "DATABASE_URL is not a postgres:// address this server can use" }
}
