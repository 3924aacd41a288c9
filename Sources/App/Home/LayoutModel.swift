import Domain
import Foundation
import Vapor

/// What the base template needs on every page: who is signed in, the Messages link with its unread count (absent
/// when messaging is off for them), and the token for the Sign Out form.
struct LayoutModel: Encodable {
    /// The link to the person's messages with their unread count: Messages for patients and proxies, the In Basket for
    /// a care-team member with no patient side of their own.
    struct MessagesLink: Encodable {
        let href: String
        let text: String
        let unread: Int
        /// "Messages, 2 unread" for screen readers.
        let accessibleLabel: String

        init(unread: Int, staffOnly: Bool) {
            href = staffOnly ? LandingPage.careTeam.rawValue : "/messages"
            text = staffOnly ? "In Basket" : "Messages"
            self.unread = unread
            accessibleLabel = unread == 0 ? text : "\(text), \(unread) unread"
        }
    }

    /// For a signed-in page's script: seconds the session is sure to last after this request, and how many seconds
    /// before that to warn.
    struct SessionTimes: Encodable {
        let seconds: Int
        let warning: Int
    }

    /// The page's title; `ErrorTitleMiddleware` starts it with "Error: " when the page answers an error.
    var title: String
    let userName: String?
    let csrfToken: String
    let messages: MessagesLink?
    let session: SessionTimes?
    /// Whether the header links to Administration.
    let isAdmin: Bool
    /// Whether the header links to Sharing: patients choose who may act for them.
    let isPatient: Bool
    /// Whether the header links to the In Basket beside Messages: care-team members who are patients too.
    let alsoInBasket: Bool
    /// For someone acting for others: whose messages they are looking at, said on every page with its switch.
    let viewing: ViewingModel?

    /// For pages shown before signing in: no Messages link.
    init(request: Request, title: String) {
        self.init(request: request, title: title, messages: nil, viewing: nil)
    }

    private init(request: Request, title: String, messages: MessagesLink?, viewing: ViewingModel?) {
        self.title = title
        self.viewing = viewing
        let user = request.auth.get(SignedInUser.self)
        self.userName = user?.displayName
        self.isAdmin = user?.roles.contains(.admin) ?? false
        self.isPatient = user?.roles.contains(.patient) ?? false
        self.alsoInBasket =
            messages != nil
            && user.map { $0.roles.contains(where: \.isCareTeam) && $0.landingPage != .careTeam } ?? false
        self.csrfToken = request.csrfToken
        self.messages = messages
        let policy = request.config.sessionPolicy
        self.session =
            user?.sessionID == nil
            ? nil : SessionTimes(seconds: Int(policy.assuredIdle), warning: Int(policy.warningLead))
    }

    /// For signed-in pages: counts unread conversations in the Inbox being viewed for the Messages link (a proxy's
    /// badge counts the person they are looking at, as the Inbox under it shows), and says whose messages those are.
    static func make(_ request: Request, title: String) async throws -> LayoutModel {
        guard request.auth.has(SignedInUser.self) else { return LayoutModel(request: request, title: title) }
        do {
            let reading = try await request.readConversation()
            let viewing = try await MessagesController.viewing(request, reading)
            // The switch has counted the person being viewed already.
            let unread: Int
            if let viewing { unread = viewing.currentUnread } else { unread = try await reading.unreadInbox() }
            let staffOnly = try request.signedInUser.landingPage == .careTeam
            return LayoutModel(
                request: request, title: title, messages: MessagesLink(unread: unread, staffOnly: staffOnly),
                viewing: viewing)
        } catch let error as MessagingError where error == .notFound {
            return LayoutModel(request: request, title: title)
        }
    }
}
