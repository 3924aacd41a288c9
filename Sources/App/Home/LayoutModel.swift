import Vapor

/// What the base template needs on every page: who is signed in, the Messages link with its unread count (absent
/// when messaging is off for them), and the token for the Sign Out form.
struct LayoutModel: Encodable {
    struct MessagesLink: Encodable {
        let unread: Int
        /// "Messages, 2 unread" for screen readers.
        let accessibleLabel: String
    }

    let title: String
    let userName: String?
    let csrfToken: String
    let messages: MessagesLink?

    /// For pages shown before signing in: no Messages link.
    init(request: Request, title: String) {
        self.init(request: request, title: title, messages: nil)
    }

    private init(request: Request, title: String, messages: MessagesLink?) {
        self.title = title
        self.userName = request.auth.get(SignedInUser.self)?.displayName
        self.csrfToken = request.csrfToken
        self.messages = messages
    }

    /// For signed-in pages: counts unread conversations in the Inbox being viewed for the Messages link (a proxy's
    /// badge counts the person they are looking at, as the Inbox under it shows).
    static func make(_ request: Request, title: String) async throws -> LayoutModel {
        guard request.auth.has(SignedInUser.self) else { return LayoutModel(request: request, title: title) }
        do {
            let reading = try await request.readConversation()
            let unread = try await reading.unreadInbox(
                patient: try await reading.viewedPatient(chosen: MessagesController.viewingCookie(of: request)))
            let label = unread == 0 ? "Messages" : "Messages, \(unread) unread"
            return LayoutModel(
                request: request, title: title, messages: MessagesLink(unread: unread, accessibleLabel: label))
        } catch let error as MessagingError where error == .notFound {
            return LayoutModel(request: request, title: title)
        }
    }
}
