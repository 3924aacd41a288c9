import Fluent
import FluentPostgresDriver
import Foundation
import Vapor

@testable import App

/// Runs `body` against a Carebox configured and migrated on a fresh database (see `TestDatabase`), then tears it
/// all down, on failure too.
func withCarebox(
    clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000)),
    adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (Application) async throws -> Void
) async throws {
    TestTrace.step("create database")
    let database = try await withPostgresDetail { try await TestDatabase.create() }
    var config = AppConfig.testing(storage: database.storage, clock: clock)
    adjust(&config)
    let app = try await Application.make(.testing)
    do {
        TestTrace.step("configure")
        try await configure(app, config)
        TestTrace.step("migrate")
        try await app.autoMigrate()
        TestTrace.step("body")
        try await body(app)
    } catch {
        TestTrace.step("shut down after \(type(of: error))")
        try? await app.asyncShutdown()
        try? await database.destroy()
        TestTrace.step("done")
        throw PostgresDetail.wrapping(error)
    }
    TestTrace.step("shut down")
    try await app.asyncShutdown()
    TestTrace.step("drop database")
    try await database.destroy()
    TestTrace.step("done")
}

/// PostgresNIO's errors print a generic sentence to keep data out of logs; a failing test needs the server's words.
struct PostgresDetail: Error, CustomStringConvertible {
    let description: String

    static func wrapping(_ error: any Error) -> any Error {
        error is PSQLError ? PostgresDetail(description: String(reflecting: error)) : error
    }
}

func withPostgresDetail<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw PostgresDetail.wrapping(error) }
}

/// `withCarebox` with Riverbend Health loaded.
func withDemo(
    clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000)),
    adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (Application) async throws -> Void
) async throws {
    try await withCarebox(clock: clock, adjust: adjust) { app in
        try await DemoOrganization.loadIfMissing(on: app.db, passwordHasher: app.password.async)
        try await body(app)
    }
}
