import Domain
import Fluent
import Vapor

/// Where each kind of user lands: Today for patients and proxies, the care-team home, the administration home.
struct HomeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("today", use: today)
        routes.get("care-team", use: careTeam)
        routes.get("administration", use: administration)
    }

    @Sendable func today(request: Request) async throws -> View {
        let user = try request.signedInUser
        guard user.roles.contains(.patient) || user.roles.contains(.proxy) else { throw PageError.forbidden }
        let layout = try await LayoutModel.make(request, title: "Today")
        let page = TodayPage(layout: layout, name: user.displayName, canMessage: layout.messages != nil)
        return try await request.view.render("today", page)
    }

    @Sendable func careTeam(request: Request) async throws -> View {
        let user = try request.signedInUser
        guard user.roles.contains(where: \.isCareTeam) else { throw PageError.forbidden }
        let pools = try await Pool.query(on: request.db)
            .join(PoolMember.self, on: \Pool.$id == \PoolMember.$pool.$id)
            .filter(PoolMember.self, \.$user.$id == user.id)
            .sort(\.$name)
            .all(\.$name)
        let page = CareTeamHomePage(
            layout: try await LayoutModel.make(request, title: "Care Team"), name: user.displayName, pools: pools)
        return try await request.view.render("care-team", page)
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

struct CareTeamHomePage: Encodable {
    let layout: LayoutModel
    let name: String
    let pools: [String]
}

struct AdministrationPage: Encodable {
    let layout: LayoutModel
    let name: String
}
