import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Every administration route, page and API, found from the router so that a new one cannot be missed, tried by every
/// demo actor and by a second organisation's admin. Only `admin` of the same organisation gets through; everyone else
/// signed in gets 403; a second organisation's admin gets 404 for any of Riverbend's records and sees none of them in
/// lists; nobody signed out gets in.
@Suite struct AdminAuthorizationTests {
    static let nonAdmins = ["alex", "jordan", "mchen", "lpark", "ntorres", "bokafor"]

    struct Route: CustomStringConvertible {
        let method: HTTPMethod
        /// The path with Riverbend's records filled in for its parameters.
        let path: String
        let hasParameters: Bool
        var isAPI: Bool { path.hasPrefix("/api/v1/") }
        var description: String { "\(method) \(path)" }
    }

    @Test func onlyTheOrganizationsOwnAdminGetsThroughEveryAdministrationRoute() async throws {
        try await withDemoAPI { demo in
            let routes = try await Self.administrationRoutes(demo)
            #expect(routes.count >= 20, "found only \(routes.count) administration routes")
            let otherAdmin = try await Self.secondOrganizationAdmin(demo.app)

            // Reads first, then writes, so a write that changes something cannot hide a read's refusal.
            let ordered = routes.filter { $0.method == .GET } + routes.filter { $0.method != .GET }
            for username in Self.nonAdmins {
                let api = try await demo.client(username)
                let web = demo.browser.newWindow()
                try await web.signIn(username)
                for route in ordered {
                    let status = try await Self.call(route, api: api, web: web)
                    #expect(status == .forbidden, "\(username): \(route) answered \(status.code)")
                }
            }

            let anonymousAPI = APIClient(browser: demo.browser.newWindow(), token: nil)
            let anonymousWeb = demo.browser.newWindow()
            for route in ordered {
                let status = try await Self.call(route, api: anonymousAPI, web: anonymousWeb)
                let expected: HTTPResponseStatus = route.isAPI ? .unauthorized : .seeOther
                #expect(status == expected, "anonymous: \(route) answered \(status.code)")
            }

            let otherAPI = try await APIClient.signedIn(otherAdmin, app: demo.app, browser: demo.browser)
            let otherWeb = demo.browser.newWindow()
            try await otherWeb.signIn(otherAdmin)
            let alex = demo.user("alex").uuidString.lowercased()
            for route in ordered {
                let (status, body) = try await Self.callReading(route, api: otherAPI, web: otherWeb)
                if route.hasParameters {
                    #expect(
                        status == .notFound, "other organisation's admin: \(route) answered \(status.code): \(body)")
                } else {
                    #expect(
                        ![.unauthorized, .forbidden].contains(status) && status.code < 500,
                        "other organisation's admin: \(route) answered \(status.code)")
                }
                #expect(
                    !body.contains("Alex Rivera") && !body.lowercased().contains(alex) && !body.contains("Riverbend"),
                    "other organisation's admin saw Riverbend's data at \(route)")
            }

            let adminAPI = try await demo.client("admin")
            let adminWeb = demo.browser.newWindow()
            try await adminWeb.signIn("admin")
            for route in ordered {
                let status = try await Self.call(route, api: adminAPI, web: adminWeb)
                if route.method == .GET {
                    #expect(status == .ok, "admin: \(route) answered \(status.code)")
                } else {
                    // Empty forms and bodies are refused for what they hold (422, 428, 409), never for who sent them.
                    #expect(
                        ![.unauthorized, .forbidden].contains(status) && status.code < 500,
                        "admin: \(route) answered \(status.code)")
                }
            }
        }
    }

    static func call(_ route: Route, api: APIClient, web: TestBrowser) async throws -> HTTPResponseStatus {
        try await callReading(route, api: api, web: web).status
    }

    static func callReading(_ route: Route, api: APIClient, web: TestBrowser) async throws -> (
        status: HTTPResponseStatus, body: String
    ) {
        if route.isAPI {
            let path = String(route.path.dropFirst("/api/v1".count))
            // A write names a version, so that what is checked is who may change the record, not the request's form.
            let headers = route.method == .GET ? [:] : ["If-Match": "\"1\""]
            let reply =
                route.method == .GET || route.method == .DELETE
                ? try await api.send(route.method, path, headers: headers)
                : try await api.send(route.method, path, json: [:], headers: headers)
            return (reply.status, reply.body)
        }
        let page = route.method == .GET ? try await web.get(route.path) : try await web.post(route.path, [:])
        return (page.status, page.body)
    }

    /// Every route under `/administration` and `/api/v1/admin`, with a real Riverbend record for each parameter.
    static func administrationRoutes(_ demo: DemoAPI) async throws -> [Route] {
        let records = try await RiverbendRecords.load(demo)
        return demo.app.routes.all.compactMap { route -> Route? in
            let components = route.path
            let prefix = components.prefix(3).map(\.description)
            guard prefix.first == "administration" || prefix == ["api", "v1", "admin"] else { return nil }
            guard route.method != .HEAD, route.method != .OPTIONS else { return nil }
            var hasParameters = false
            let parts = components.map { component -> String in
                if case .parameter(let name) = component {
                    hasParameters = true
                    return records.id(forParameter: name).uuidString
                }
                return component.description
            }
            return Route(method: route.method, path: "/" + parts.joined(separator: "/"), hasParameters: hasParameters)
        }
    }

    /// A second organisation with its own admin, signed in with the demo password; answers the admin's username.
    static func secondOrganizationAdmin(_ app: Application) async throws -> String {
        let world = try await WorldBuilder.make(app, name: "Lakeside Clinic")
        let admin = try await world.person("Lakeside Admin", roles: [.admin])
        let user = try await User.find(admin, on: app.db)!
        user.passwordHash = try await app.password.async.hash(DemoOrganization.password)
        try await user.save(on: app.db)
        return user.username!
    }
}

/// One of Riverbend's records of each kind an administration route names by parameter.
struct RiverbendRecords {
    let patient: UUID
    let provider: UUID
    let staff: UUID
    let pool: UUID
    let messageType: UUID
    let holiday: UUID
    let careRelationship: UUID
    let proxyGrant: UUID
    let auditEvent: UUID
    let notification: UUID

    static func load(_ demo: DemoAPI) async throws -> RiverbendRecords {
        let db = demo.app.db
        let alex = demo.user("alex")
        let organization = try await User.find(alex, on: db)!.$organization.id
        // Sign-ins make audit events; one of Riverbend's will do.
        let event = try await AuditEvent.query(on: db).filter(\.$organizationID == organization).first()
        return RiverbendRecords(
            patient: alex, provider: demo.user("mchen"), staff: demo.user("ntorres"),
            pool: demo.ids.pools["Nurse Triage"]!, messageType: demo.ids.types["General Message"]!,
            holiday: try await OrganizationHoliday.query(on: db).filter(\.$organization.$id == organization).first()!
                .requireID(),
            careRelationship: try await CareRelationship.query(on: db).filter(\.$patient.$id == alex).first()!
                .requireID(),
            proxyGrant: try await ProxyGrant.query(on: db).filter(\.$patient.$id == alex).first()!.requireID(),
            auditEvent: try event?.requireID() ?? UUID(),
            notification: try await undeliveredEmail(to: alex, organization: organization, on: db))
    }

    /// An email to Alex that the mail server refused (the demo sends no email, so it is written here).
    static func undeliveredEmail(to user: UUID, organization: UUID, on db: any Database) async throws -> UUID {
        let id = UUID()
        try await db.sql().raw(
            """
            INSERT INTO notifications (id, organization_id, user_id, kind, status, created_at, due_at, attempts, \
            failure) VALUES (\(bind: id), \(bind: organization), \(bind: user), \(bind: NotificationKind.newMessage.rawValue), \
            \(bind: NotificationStatus.failed.rawValue), \(bind: Date()), \(bind: Date()), 1, 'rejected 550')
            """
        ).run()
        return id
    }

    /// The record a parameter names, by its name (`poolID`, `messageTypeID`, `personID`, …).
    func id(forParameter name: String) -> UUID {
        let name = name.lowercased()
        if name.contains("holiday") { return holiday }
        if name.contains("type") { return messageType }
        if name.contains("member") { return staff }
        if name.contains("pool") { return pool }
        if name.contains("relationship") { return careRelationship }
        if name.contains("grant") || name.contains("proxy") { return proxyGrant }
        if name.contains("event") { return auditEvent }
        if name.contains("notification") { return notification }
        if name.contains("provider") { return provider }
        return patient
    }
}
