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
            let viewing = layout.viewing
            let patient = viewing.flatMap { UUID(uuidString: $0.current) }
            page.unread = try await reading.unreadInbox(patient: patient)
            let zone = reading.context.calendar.timeZone
            let patients = reading.context.actor.patientsActedFor
            page.latest = try await reading.list(.inbox, patient: patient, cursor: nil, limit: Self.latestShown).items
                .map { InboxRowModel($0, actingFor: patients, viewing: viewing != nil, in: zone) }
            // A proxy whose every grant has ended has no one to write for: no dead link, a word instead.
            page.noOneToActFor = patients.isEmpty
            if !page.noOneToActFor { page.newMessage = Self.newMessageLinks(viewing, me: user.id) }
            // Just after accepting an invitation: whose messages are now theirs to see, named only if they are.
            if let accepted = try? request.query.get(UUID.self, at: "accepted"), accepted != user.id,
                let person = viewing?.patients.first(where: { $0.value == accepted.uuidString })
            {
                page.notice = "You accepted the invitation. You can now read and send messages for \(person.label)."
            }
        }
        return try await request.view.render("today", page)
    }

    /// How many of the latest conversations Today shows.
    static let latestShown = 3

    /// "Start a New Message": for someone acting for others, one link for each person, so whom the message is about
    /// is chosen, not assumed from whose messages are being viewed.
    static func newMessageLinks(_ viewing: ViewingModel?, me: UUID) -> [TodayPage.Link] {
        guard let viewing else { return [TodayPage.Link(href: "/messages/new", label: "Start a New Message")] }
        return viewing.patients.map { person in
            let whom = person.value == me.uuidString ? "yourself" : person.label
            return TodayPage.Link(
                href: "/messages/new?patient=\(person.value)", label: "Start a New Message for \(whom)")
        }
    }
}

struct TodayPage: Encodable {
    let layout: LayoutModel
    let name: String
    /// Whether "Start a New Message" is offered: messaging is on for this user.
    let canMessage: Bool
    /// Unread conversations in the Inbox being viewed, and its latest conversations.
    var unread = 0
    var latest: [InboxRowModel] = []
    /// The "Start a New Message" links.
    var newMessage: [Link] = []
    /// A proxy with no grant in force: nobody's messages to read or write.
    var noOneToActFor = false
    /// What was just done, such as accepting an invitation.
    var notice: String?

    struct Link: Encodable {
        let href: String
        let label: String
    }
}
