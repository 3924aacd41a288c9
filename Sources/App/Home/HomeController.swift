import Domain
import Fluent
import Vapor

/// Where patients and proxies land: Today. The care team lands on the In Basket, admins on Administration.
struct HomeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("today", use: today)
    }

    @Sendable func today(request: Request) async throws -> View {
        let user = try request.signedInUser
        guard user.roles.contains(.patient) || user.roles.contains(.proxy) else { throw PageError.forbidden }
        let layout = try await LayoutModel.make(request, title: "Today")
        let page = TodayPage(layout: layout, name: user.displayName, canMessage: layout.messages != nil)
        return try await request.view.render("today", page)
    }
}

struct TodayPage: Encodable {
    let layout: LayoutModel
    let name: String
    /// Whether "Start a New Message" is offered: messaging is on for this user.
    let canMessage: Bool
}
