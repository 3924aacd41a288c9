import Foundation
import Vapor

/// The Security page (`/account/security`, from the header): one's password, two-step verification and API tokens,
/// each with its own page, and the recent sign-ins with when, from where and in which browser, so someone can see a
/// sign-in that was not theirs.
struct SecurityController: RouteCollection {
    static let path = "/account/security"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("account", "security", use: show)
    }

    struct Page: Encodable {
        struct SignIn: Encodable {
            let time: String
            let address: String
            let browser: String
            /// "This browser", "New device", "Code not given", or nil.
            let notes: [String]
        }

        let layout: LayoutModel
        let twoFactorOn: Bool
        let twoFactorSince: String?
        let signIns: [SignIn]
    }

    @Sendable func show(request: Request) async throws -> View {
        let user = try request.signedInUser
        let sql = request.db.sql()
        let zone =
            try await request.application.organizations.entry(
                for: user.organizationID, at: request.now, on: request.db)?.calendar.timeZone ?? .gmt
        let status = try await TwoFactor.status(of: user.id, on: sql)
        let current = request.cookies[SessionStore.cookieName].map { SessionStore.hash($0.string) }
        let page = Page(
            layout: try await LayoutModel.make(request, title: "Security"), twoFactorOn: status != nil,
            twoFactorSince: status.map { PageFormat.dateTime($0.since, in: zone) },
            signIns: try await SignInHistory.recent(of: user.id, on: sql).map { entry in
                var notes: [String] = []
                if entry.sessionHash == current { notes.append("This browser") }
                if entry.newDevice { notes.append("New device") }
                if !entry.completed { notes.append("Code not given") }
                return Page.SignIn(
                    time: PageFormat.dateTime(entry.at, in: zone), address: entry.address, browser: entry.browser,
                    notes: notes)
            })
        return try await request.view.render("security", page)
    }
}
