import Foundation
import Vapor

/// `/administration/notifications`: how many emails wait to be sent, and those that could not be delivered, each with
/// the mail server's reason, a link to the person (to put their address right) and "Send again".
struct UndeliveredEmailController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let notifications = routes.grouped("administration", "notifications")
        notifications.get(use: index)
        notifications.post(":notificationID", "send-again", use: sendAgain)
    }

    struct Row: Encodable {
        let notification: AdminUndeliveredNotification
        let written: String
        let kind: String
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let emailEnabled: Bool
        let waiting: Int
        let oldestWaitingSince: String?
        let rows: [Row]
        let page: Int
        let previousLink: String?
        let nextLink: String?
        let notice: String?
        let error: String?
    }

    static let notices = ["sent-again": "The email will be sent again in a moment."]

    @Sendable func index(request: Request) async throws -> View {
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { Self.notices[$0] }
        return try await render(request, notice: notice)
    }

    @Sendable func sendAgain(request: Request) async throws -> Response {
        let email = UndeliveredEmail(context: try request.adminContext)
        let page = (try? request.content.get(String.self, at: "page")).flatMap(Int.init) ?? 1
        do {
            _ = try await email.sendAgain(try request.adminID("notificationID"))
            return request.redirect(
                to: "/administration/notifications?page=\(page)&done=sent-again", redirectType: .normal)
        } catch let error as AdministrationError where error == .notUndelivered {
            return try await render(request, error: error.message).encodeResponse(status: error.status, for: request)
        }
    }

    private func render(_ request: Request, notice: String? = nil, error: String? = nil) async throws -> View {
        let page = try Self.pageNumber(request)
        let context = try request.adminContext
        let overview = try await UndeliveredEmail(context: context).overview(
            page: page, emailEnabled: request.application.emailNotifications != nil)
        let layout = try await LayoutModel.make(request, title: "Email notifications")
        let zone = try await AuditLogSearch(db: context.db, actor: context.actor).timeZone()
        let model = Page(
            layout: layout, emailEnabled: overview.emailEnabled, waiting: overview.waiting,
            oldestWaitingSince: overview.oldestWaitingSince.map { Self.format($0, in: zone) },
            rows: overview.undelivered.map {
                Row(
                    notification: $0, written: Self.format($0.writtenAt, in: zone),
                    kind: NotificationKind(rawValue: $0.kind)?.label ?? $0.kind)
            },
            page: page, previousLink: page > 1 ? "/administration/notifications?page=\(page - 1)" : nil,
            nextLink: overview.nextPage.map { "/administration/notifications?page=\($0)" }, notice: notice,
            error: error)
        return try await request.view.render("admin-notifications", model)
    }

    /// `?page=N`, from 1; anything else is the first page.
    static func pageNumber(_ request: Request) throws -> Int {
        guard let text = try? request.query.get(String.self, at: "page") else { return 1 }
        guard let page = Int(text), (1...100_000).contains(page) else {
            throw AdministrationError.invalid("page", "page must be a number from 1 to 100000.")
        }
        return page
    }

    /// As the audit log shows times: in the organisation's zone, named.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        AuditLogPage.formatter(zone).string(from: date) + " " + zone.identifier
    }
}
