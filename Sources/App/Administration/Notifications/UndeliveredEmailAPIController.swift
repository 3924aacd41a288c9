import Vapor

/// `/api/v1/admin/notifications`: the outbox at a glance and undelivered emails (`?page=`);
/// `POST /api/v1/admin/notifications/{notificationID}/send-again` puts one back in the outbox.
struct UndeliveredEmailAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let notifications = routes.grouped("notifications")
        notifications.get(use: list)
        notifications.post(":notificationID", "send-again", use: sendAgain)
    }

    @Sendable func list(request: Request) async throws -> AdminNotificationsResponse {
        let email = UndeliveredEmail(context: try request.adminContext)
        return try await email.overview(
            page: try UndeliveredEmailController.pageNumber(request),
            emailEnabled: request.application.emailNotifications != nil)
    }

    @Sendable func sendAgain(request: Request) async throws -> AdminUndeliveredNotification {
        let email = UndeliveredEmail(context: try request.adminContext)
        return try await email.sendAgain(try request.adminID("notificationID"))
    }
}
