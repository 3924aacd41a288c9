import Vapor

/// The administration home: where an administrator lands, with a link to each part of the organisation they run.
struct AdministrationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("administration", use: home)
    }

    struct Section: Encodable {
        let title: String
        let path: String
        let summary: String
    }

    struct HomePage: Encodable {
        let layout: LayoutModel
        let name: String
        let sections: [Section]
    }

    static let sections: [Section] = [
        Section(
            title: "Settings", path: "/administration/settings",
            summary: "Messaging on or off, reply time, time zone, notices and attachment limits."),
        Section(
            title: "Holidays", path: "/administration/holidays", summary: "Days that do not count as business days."),
        Section(
            title: "Message types", path: "/administration/message-types",
            summary: "What patients can write about, who may start each, and who it goes to."),
        Section(title: "Pools", path: "/administration/pools", summary: "Shared mailboxes and their members."),
        Section(
            title: "People", path: "/administration/people",
            summary: "Patients, providers and staff: accounts, roles, care relationships and proxies."),
        Section(
            title: "Email notifications", path: "/administration/notifications",
            summary: "Emails waiting to be sent, and those that could not be delivered."),
        Section(
            title: "Audit log", path: "/administration/audit",
            summary: "Who did what and when: search, export, and verify the chain."),
    ]

    @Sendable func home(request: Request) async throws -> View {
        _ = try request.adminActor
        let page = HomePage(
            layout: try await LayoutModel.make(request, title: "Administration"),
            name: try request.signedInUser.displayName, sections: Self.sections)
        return try await request.view.render("administration", page)
    }
}
