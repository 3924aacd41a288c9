import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// What reached the real SMTP server `scripts/smtp-server` runs (`CAREBOX_TEST_SMTP`, `CAREBOX_TEST_SMTP_DIR`), for one
/// test: every demo user gets an address of their own for it (`alex+TAG@example.org`), since tests run side by side
/// against the one server.
struct Mailbox {
    static let environment = ProcessInfo.processInfo.environment
    static let serverIsRunning =
        !(environment["CAREBOX_TEST_SMTP"] ?? "").isEmpty && !(environment["CAREBOX_TEST_SMTP_DIR"] ?? "").isEmpty

    /// The test server's plain listener.
    static var server: SMTPConfiguration {
        let value = environment["CAREBOX_TEST_SMTP"] ?? "127.0.0.1:25"
        let colon = value.lastIndex(of: ":")!
        return SMTPConfiguration(
            host: String(value[..<colon]), port: Int(value[value.index(after: colon)...])!, security: .plain)
    }

    let tag = String(UUID().uuidString.prefix(8)).lowercased()

    func address(_ username: String) -> String { "\(username)+\(tag)@example.org" }

    /// Gives every demo user with a username this test's address.
    func assignAddresses(on db: any Database) async throws {
        for user in try await User.query(on: db).filter(\.$username != nil).all() {
            user.email = address(user.username!)
            try await user.save(on: db)
        }
    }

    struct Email {
        let headers: [String: String]
        let body: String
        var subject: String { headers["subject"] ?? "" }
        /// Everything a reader sees but their own address: headers and body.
        var wholeText: String {
            headers.filter { $0.key != "to" }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") + "\n" + body
        }
    }

    /// The emails that reached `username`, oldest first.
    func emails(to username: String) throws -> [Email] {
        let folder = URL(fileURLWithPath: Self.environment["CAREBOX_TEST_SMTP_DIR"]!)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.compactMap { file in
            let envelope = try JSONSerialization.jsonObject(
                with: Data(contentsOf: file.deletingPathExtension().appendingPathExtension("json")))
            guard let recipients = (envelope as? [String: Any])?["rcpt_tos"] as? [String],
                recipients.contains(address(username))
            else { return nil }
            let (headers, body) = SMTPClientTests.split(Array(try Data(contentsOf: file)))
            return Email(headers: headers, body: SMTPClientTests.decodeBody(headers, body))
        }
    }
}

/// The demo over HTTP with email on, sent to the test's own addresses. Nothing is sent until the test calls
/// `deliver()`, on the demo's clock.
func withDemoMail(
    clock: ManualClock = ManualClock(ISO8601DateFormatter().date(from: "2026-11-25T15:00:00Z")!),
    adjust: @escaping (inout AppConfig) -> Void = { _ in },
    _ body: (DemoAPI, Mailbox) async throws -> Void
) async throws {
    let mailbox = Mailbox()
    try await withDemoAPI(
        clock: clock,
        adjust: { config in
            config.smtp = Mailbox.server
            config.mailFrom = "portal@riverbend.example"
            adjust(&config)
        }
    ) { demo in
        try await mailbox.assignAddresses(on: demo.app.db)
        try await body(demo, mailbox)
    }
}

extension DemoAPI {
    /// Sends what is due now, as the delivery worker would; answers how many went out.
    @discardableResult
    func deliver() async throws -> Int {
        try await NotificationDelivery(app, email: app.emailNotifications!).deliverDue()
    }

    var clock: ManualClock { app.config.clock as! ManualClock }

    /// The outbox rows, as (status, failure) per user id.
    func outbox() async throws -> [(user: UUID, status: String, failure: String?)] {
        try await app.db.sql().raw("SELECT user_id, status, failure FROM notifications ORDER BY created_at").all().map {
            (
                try $0.decode(column: "user_id", as: UUID.self), try $0.decode(column: "status", as: String.self),
                try $0.decode(column: "failure", as: String?.self)
            )
        }
    }
}
