import Vapor

/// The Notifications page, reached from the header: where a person says where emails go and which they want.
struct NotificationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("notifications", use: show)
        routes.post("notifications", use: save)
    }

    struct Form: Content {
        var email: String?
        var new_messages: String?
        var care_team_summary: String?
        var version: Int?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let email: String
        let newMessages: String
        let careTeamSummary: Bool
        let asksNewMessages: Bool
        let asksCareTeamSummary: Bool
        let sendsEmail: Bool
        let version: Int
        let saved: Bool
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
    }

    @Sendable func show(request: Request) async throws -> Response {
        let current = try await NotificationPreferences(request).read()
        let saved = (try? request.query.get(String.self, at: "saved")) == "1"
        return try await render(request, current, saved: saved, errors: [:], status: .ok)
    }

    @Sendable func save(request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        let preferences = try NotificationPreferences(request)
        let input = NotificationPreferences.Input(
            email: form.email, newMessages: form.new_messages,
            careTeamSummary: form.care_team_summary.map { $0 == "daily_summary" })
        do {
            _ = try await preferences.update(input, version: form.version ?? 0)
            return request.redirect(to: "/notifications?saved=1", redirectType: .normal)
        } catch let error as MessagingError where error.status == .unprocessableEntity || error == .versionConflict {
            var shown = try await preferences.read()
            if error != .versionConflict {
                // What was typed stays in the form, at the version it was typed against.
                shown = NotificationPreferences.Response(
                    email: form.email,
                    newMessages: MessageNotices(rawValue: form.new_messages ?? "") ?? shown.newMessages,
                    careTeamSummary: input.careTeamSummary ?? shown.careTeamSummary,
                    asksNewMessages: shown.asksNewMessages, asksCareTeamSummary: shown.asksCareTeamSummary,
                    version: form.version ?? shown.version)
            }
            let field = error == .versionConflict ? "form" : (error.field ?? "form")
            return try await render(request, shown, saved: false, errors: [field: error.message], status: error.status)
        }
    }

    private func render(
        _ request: Request, _ current: NotificationPreferences.Response, saved: Bool, errors: [String: String],
        status: HTTPStatus
    ) async throws -> Response {
        let order = ["form", "email", "newMessages", "careTeamSummary"]
        let page = Page(
            layout: try await LayoutModel.make(request, title: "Notifications"), email: current.email ?? "",
            newMessages: current.newMessages.rawValue, careTeamSummary: current.careTeamSummary,
            asksNewMessages: current.asksNewMessages, asksCareTeamSummary: current.asksCareTeamSummary,
            sendsEmail: request.application.emailNotifications != nil, version: current.version, saved: saved,
            errors: errors,
            errorSummary: ErrorSummaryItem.list(errors, order: order, targets: ["newMessages": "newMessages-error"]))
        let response = try await request.view.render("notifications", page).encodeResponse(status: status, for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// `GET` and `PUT /api/v1/notification-preferences`: the signed-in person's own choices, `If-Match` to change them.
struct NotificationPreferencesAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("notification-preferences", use: show)
        routes.put("notification-preferences", use: update)
    }

    @Sendable func show(request: Request) async throws -> Response {
        let current = try await NotificationPreferences(request).read()
        return try await current.withETag(current.version).encodeResponse(for: request)
    }

    @Sendable func update(request: Request) async throws -> Response {
        let version = try request.requiredIfMatchVersion()
        let input = try request.content.decode(NotificationPreferences.Input.self)
        let saved = try await NotificationPreferences(request).update(input, version: version)
        return try await saved.withETag(saved.version).encodeResponse(for: request)
    }
}
