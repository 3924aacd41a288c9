import Vapor

/// What the base template needs on every page: who is signed in, and the token for the Sign Out form.
struct LayoutModel: Encodable {
    let title: String
    let userName: String?
    let csrfToken: String
    let messagesPath: String

    init(request: Request, title: String) {
        self.title = title
        self.userName = request.auth.get(SignedInUser.self)?.displayName
        self.csrfToken = request.csrfToken
        self.messagesPath = "/messages"
    }
}
