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
        var page = TodayPage(layout: layout, name: user.displayName, canMessage: layout.messages != nil)
        if page.canMessage {
            let reading = try await request.readConversation()
            let viewing = try await MessagesController.viewing(request, reading)
            let patient = viewing.flatMap { UUID(uuidString: $0.current) }
            page.unread = try await reading.unreadInbox(patient: patient)
            let zone = reading.context.calendar.timeZone
            let patients = reading.context.actor.patientsActedFor
            page.latest = try await reading.list(.inbox, patient: patient, cursor: nil, limit: Self.latestShown).items
                .map { InboxRowModel($0, actingFor: patients, viewing: viewing != nil, in: zone) }
        }
        return try await request.view.render("today", page)
    }

    /// How many of the latest conversations Today shows.
    static let latestShown = 3
}

struct TodayPage: Encodable {
    let layout: LayoutModel
    let name: String
    /// Whether "Start a New Message" is offered: messaging is on for this user.
    let canMessage: Bool
    /// Unread conversations in the Inbox being viewed, and its latest conversations.
    var unread = 0
    var latest: [InboxRowModel] = []
}
