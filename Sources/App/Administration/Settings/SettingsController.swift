import Domain
import Vapor

/// `/administration/settings`: one form for every setting, saved together.
struct SettingsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("administration", "settings", use: show)
        routes.post("administration", "settings", use: save)
    }

    /// What the form posts: a checkbox per account type and per file type, sizes in megabytes.
    struct SettingsForm: Content {
        var version: String?
        var messagingEnabled: String?
        var replyBusinessDays: String?
        var timeZone: String?
        var replyNotice: String?
        var urgentNotice: String?
        var attachmentMaxFiles: String?
        var attachmentMaxFileMegabytes: String?
        var attachmentMaxMessageMegabytes: String?
        var notificationFrom: String?
        var notificationText: String?
        var values: [String: String] = [:]

        static func decode(_ request: Request) throws -> SettingsForm {
            var form = try request.content.decode(SettingsForm.self)
            form.values = (try? request.content.decode([String: String].self)) ?? [:]
            return form
        }

        enum CodingKeys: String, CodingKey {
            case version, messagingEnabled, replyBusinessDays, timeZone, replyNotice, urgentNotice,
                attachmentMaxFiles, attachmentMaxFileMegabytes, attachmentMaxMessageMegabytes, notificationFrom,
                notificationText
        }

        var input: AdminSettingsInput {
            AdminSettingsInput(
                messagingEnabled: messagingEnabled == "on",
                messagingAccountTypes: OrganizationSettingsEditor.accountTypes.map(\.rawValue).filter {
                    values["account_\($0)"] == "on"
                },
                replyBusinessDays: replyBusinessDays.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) },
                timeZone: timeZone, replyNotice: replyNotice, urgentNotice: urgentNotice,
                attachmentMaxFiles: attachmentMaxFiles.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) },
                attachmentMaxFileBytes: SettingsPage.bytes(fromMegabytes: attachmentMaxFileMegabytes),
                attachmentMaxMessageBytes: SettingsPage.bytes(fromMegabytes: attachmentMaxMessageMegabytes),
                attachmentTypes: AttachmentKind.allCases.filter { values["type_\($0.rawValue)"] == "on" }.map(
                    \.contentType),
                notificationFrom: notificationFrom ?? "", notificationText: notificationText ?? "")
        }
    }

    @Sendable func show(request: Request) async throws -> View {
        let settings = try await OrganizationSettingsEditor(context: try request.adminContext).read()
        return try await request.view.render(
            "admin-settings",
            SettingsPage(
                layout: try await LayoutModel.make(request, title: "Settings"), settings: settings,
                serverMailFrom: request.application.emailNotifications?.from,
                saved: (try? request.query.get(String.self, at: "saved")) != nil))
    }

    @Sendable func save(request: Request) async throws -> Response {
        let context = try request.adminContext
        let form = try SettingsForm.decode(request)
        let input = form.input
        let problems = OrganizationSettingsEditor.problems(input)
        do {
            guard problems.isEmpty else { throw problems[0] }
            _ = try await OrganizationSettingsEditor(context: context)
                .update(input, version: try FormVersion.parse(form.version))
            return request.redirect(to: "/administration/settings?saved=1", redirectType: .normal)
        } catch let error as AdministrationError where error.status != .notFound && error.status != .forbidden {
            let shown = problems.isEmpty ? [error] : problems
            let page = SettingsPage(
                layout: try await LayoutModel.make(request, title: "Settings"),
                name: try await OrganizationSettingsEditor(context: context).read().name,
                serverMailFrom: request.application.emailNotifications?.from, form: form, input: input,
                errors: shown)
            return try await request.view.render("admin-settings", page).encodeResponse(
                status: error.status, for: request)
        }
    }
}
