import Fluent
import Foundation
import Vapor

/// Sends the outbox while the server runs, as a lifecycle handler: every `interval` it sends what is due, and once a
/// minute it writes each organisation's daily summaries when 7:00 has come there. Nothing runs when the server sends
/// no email. On shutdown it finishes the send in hand before the databases close.
struct NotificationWorker: LifecycleHandler {
    let interval: Duration

    private final class TaskBox: @unchecked Sendable {
        var task: Task<Void, Never>?
    }

    private let box = TaskBox()

    init(interval: Duration) {
        self.interval = interval
    }

    func didBoot(_ application: Application) throws {
        guard let email = application.emailNotifications else { return }
        let app = application
        let delivery = NotificationDelivery(app, email: email)
        let interval = interval
        box.task = Task {
            let trouble = ThrottledLog()
            var summariesCheckedAt = Date.distantPast
            while !Task.isCancelled {
                do {
                    let now = app.config.clock.now()
                    if now.timeIntervalSince(summariesCheckedAt) >= 60 {
                        summariesCheckedAt = now
                        try await DailySummaries.writeDue(app, at: now)
                    }
                    try await delivery.deliverDue()
                } catch {
                    // What failed is the database, not a send (sends record their own failures): said once a minute.
                    if trouble.shouldLog("notifications") {
                        app.logger.warning(
                            "Notification delivery paused: the database did not answer",
                            metadata: ["error": "\(type(of: error))"])
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        box.task?.cancel()
        await box.task?.value
    }
}

/// The morning summaries: at 7:00 in each organisation's time zone, once a day however many servers run.
enum DailySummaries {
    static let hour = 7

    /// Writes the summaries of every organisation where today's are due and not yet written. Answers how many.
    @discardableResult
    static func writeDue(_ app: Application, at now: Date) async throws -> Int {
        var written = 0
        for id in try await Organization.query(on: app.db).all(\.$id) {
            guard let organization = try await app.organizations.entry(for: id, at: now, on: app.db) else { continue }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = organization.calendar.timeZone
            let today = organization.calendar.day(of: now)
            guard calendar.component(.hour, from: now) >= hour else { continue }
            let done = try await app.db.sql().raw(
                """
                SELECT 1 AS done FROM notification_runs WHERE organization_id = \(bind: id) \
                AND run_date = \(bind: today.description)
                """
            ).first()
            guard done == nil else { continue }
            written += try await app.writes.transaction(on: app.db) { db in
                try await NotificationOutbox(sql: db.sql(), organization: organization.settings, now: now, today: today)
                    .dailySummaries() ?? 0
            }
        }
        return written
    }
}

extension Application {
    private struct EmailNotificationsKey: StorageKey {
        typealias Value = EmailNotifications
    }

    /// How this server sends email; nil when it sends none (no `CAREBOX_SMTP_URL`).
    var emailNotifications: EmailNotifications? {
        get { storage[EmailNotificationsKey.self] }
        set { storage[EmailNotificationsKey.self] = newValue }
    }
}
