import Domain
import Fluent
import Vapor

/// Where patients, proxies and admins land: Today and the administration home. The care team lands on the In Basket.
struct HomeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("today", use: today)
        routes.get("administration", use: administration)
    }

    @Sendable func today(request: Request) async throws -> View {
        let user = try request.signedInUser
        guard user.roles.contains(.patient) || user.roles.contains(.proxy) else { throw PageError.forbidden }
        let layout = try await LayoutModel.make(request, title: "Today")
        let page = TodayPage(layout: layout, name: user.displayName, canMessage: layout.messages != nil)
        return try await request.view.render("today", page)
    }

    @Sendable func administration(request: Request) async throws -> View {
        let user = try request.signedInUser
        guard user.roles.contains(.admin) else { throw PageError.forbidden }
        let page = AdministrationPage(
            layout: try await LayoutModel.make(request, title: "Administration"), name: user.displayName)
        return try await request.view.render("administration", page)
    }
}

struct TodayPage: Encodable {
    let layout: LayoutModel
    let name: String
    /// Whether "Start a New Message" is offered: messaging is on for this user.
    let canMessage: Bool
}

struct AdministrationPage: Encodable {
    let layout: LayoutModel
    let name: String
}
