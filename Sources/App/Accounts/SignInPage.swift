import Vapor

/// The model of the sign-in page.
struct SignInPage: Encodable {
    let layout: LayoutModel
    let next: String?
    let username: String?
    let notice: String?
    let error: String?
    let fieldErrors: [String: String]
    /// A message typed before the session ended, carried through the form to become a draft.
    let unsent: [UnsentMessage.HiddenField]

    init(
        request: Request, next: String?, username: String? = nil, notice: String? = nil, error: String? = nil,
        fieldErrors: [String: String] = [:], unsent: UnsentMessage? = nil
    ) {
        self.layout = LayoutModel(request: request, title: "Sign In")
        self.next = next
        self.username = username
        self.notice = notice
        self.error = error
        self.fieldErrors = fieldErrors
        self.unsent = unsent?.hiddenFields ?? []
    }
}
