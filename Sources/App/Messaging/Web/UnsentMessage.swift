import Vapor

/// A New Message or reply form posted after its session ended. What was typed rides along on the sign-in page as
/// hidden fields and, once someone really signs in (a sign-in POST with its CSRF token), becomes a draft of theirs
/// through the ordinary draft service, which checks they may write it. It is never sent: the user opens the draft and
/// sends it. The fields are never logged.
struct UnsentMessage {
    /// The form field naming where the message was going: "new", or the id of the conversation replied to.
    static let field = "unsent"

    /// Nil for a new message.
    let conversationID: UUID?
    let form: MessagesController.MessageForm

    /// The message fields of a compose or reply form posted to this request's path; nil for any other request.
    init?(posted request: Request) {
        let path = request.url.path.split(separator: "/").map(String.init)
        switch path.count {
        case 1 where path[0] == "messages":
            conversationID = nil
        case 3 where path[0] == "messages" && path[2] == "reply":
            guard let id = UUID(uuidString: path[1]) else { return nil }
            conversationID = id
        default:
            return nil
        }
        guard let form = try? request.content.decode(MessagesController.MessageForm.self) else { return nil }
        self.form = form
    }

    /// The message a sign-in form carried, if any.
    init?(carried request: Request) {
        guard let target = try? request.content.get(String.self, at: Self.field),
            let form = try? request.content.decode(MessagesController.MessageForm.self)
        else { return nil }
        if target == "new" {
            conversationID = nil
        } else if let id = UUID(uuidString: target) {
            conversationID = id
        } else {
            return nil
        }
        self.form = form
    }

    struct HiddenField: Encodable {
        let name: String
        let value: String
    }

    /// The hidden inputs that carry it through the sign-in form.
    var hiddenFields: [HiddenField] {
        let fields: [(String, String?)] = [
            (Self.field, conversationID?.uuidString ?? "new"), ("patient", form.patient),
            ("message_type", form.messageType), ("recipient", form.recipient), ("subject", form.subject),
            ("confidential", form.confidential), ("body_text", form.bodyText), ("body_json", form.bodyJson),
            ("draft_id", form.draftId), ("draft_version", form.draftVersion),
        ]
        return fields.compactMap { name, value in value.map { HiddenField(name: name, value: $0) } }
    }

    /// Saves it as a draft of the user now signed in on `request`: over the draft it came from when that is still
    /// theirs and unchanged, else as a new one. Answers where the draft is shown, or nil when nothing was kept (an
    /// empty message, or one this user may not write).
    func keep(_ request: Request) async -> String? {
        do {
            let drafts = try await request.drafts()
            var input = form.draftInput
            if let conversationID { input = Drafts.DraftInput(conversationId: conversationID, body: form.body) }
            var saved: DraftResponse?
            if let id = form.draftId.flatMap(UUID.init(uuidString:)) {
                saved = try? await drafts.update(id, version: form.version, input)
            }
            if saved == nil { saved = try await drafts.create(input) }
            guard let saved else { return nil }
            if let conversationID { return "/messages/\(conversationID.uuidString)#reply-heading" }
            return "/messages/new?draft=\(saved.id.uuidString)"
        } catch {
            return nil
        }
    }
}
