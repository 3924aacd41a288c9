/// How a person hears of new messages to them, or to the patients they are a proxy for.
enum MessageNotices: String, Codable, CaseIterable, Sendable {
    /// An email for each conversation with news (several messages within 15 minutes make one).
    case immediately
    /// One email at 7:00 in the organisation's time zone, when something is unread.
    case dailySummary = "daily_summary"
    case off
}

/// What one notification in the outbox is for.
enum NotificationKind: String, Codable, Sendable {
    /// A new message in a conversation the person may see.
    case newMessage = "new_message"
    /// The morning summary of a person's unread messages, or of a care-team member's open and overdue work.
    case dailySummary = "daily_summary"
    /// The person's password was changed: a security notice, sent whatever their message choices, to whoever has an
    /// address, so someone who did not change it learns at once.
    case passwordChanged = "password_changed"
    /// The link of a "Forgot password?" request (`PasswordResets`), to whoever has an address, whatever their choices.
    case passwordReset = "password_reset"
    /// An activation code an administrator chose to email (`ActivationCodes`), to sign up with.
    case activationCode = "activation_code"
    /// A patient's invitation to act for them (`ProxyInvitations`), to the address they typed; `user_id` is the patient.
    case proxyInvitation = "proxy_invitation"
    /// A sign-in from a browser new to the account (`SignInHistory`), to whoever has an address, whatever their
    /// choices; not for an account's first sign-in.
    case newSignIn = "new_sign_in"

    /// How the administrator's Email notifications page names it.
    var label: String {
        switch self {
        case .newMessage: "New message"
        case .dailySummary: "Daily summary"
        case .passwordChanged: "Password changed"
        case .passwordReset: "Password reset link"
        case .activationCode: "Activation code"
        case .proxyInvitation: "Proxy invitation"
        case .newSignIn: "New sign-in"
        }
    }
}

/// Where a notification is in its life.
enum NotificationStatus: String, Codable, Sendable {
    /// Waiting to be sent, or to be tried again after a transient failure.
    case pending
    case sent
    /// The mail server refused it for good (a 5xx), or transient failures went on too long. Shown to administrators.
    case failed
    /// Nothing to send after all: the person took back their address or their choice, or may no longer see the
    /// conversation.
    case skipped
}
