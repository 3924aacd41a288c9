import Foundation

/// The words of a notification email. Email is not a secure channel, so it says only which organisation wrote, that
/// there is something in the portal, and where to sign in to read it: never a subject, text, sender, patient, message
/// type or file name, and nothing that tells a proxy's email apart from the patient's (docs/notifications.md).
struct NotificationEmail: Equatable {
    let subject: String
    let body: String

    /// The sentence a new-message email says, unless the organisation chose its own.
    static func defaultText(organization: String) -> String {
        "You have a new message in the \(organization) patient portal."
    }

    static func newMessage(from organization: OrganizationSettings, link: URL) -> NotificationEmail {
        let text = organization.notificationText ?? defaultText(organization: organization.name)
        return NotificationEmail(
            subject: "\(organization.name): you have a new message",
            body: compose(organization, text, "Sign in to read it:", link))
    }

    /// The morning summary for someone on the patient side with unread messages from the last day.
    static func unreadSummary(from organization: OrganizationSettings, link: URL) -> NotificationEmail {
        NotificationEmail(
            subject: "\(organization.name): you have unread messages",
            body: compose(
                organization, "You have unread messages in the \(organization.name) patient portal.",
                "Sign in to read them:", link))
    }

    /// The morning summary for a care-team member: how many of their conversations are open, and how many overdue.
    static func careTeamSummary(from organization: OrganizationSettings, open: Int, overdue: Int, link: URL)
        -> NotificationEmail
    {
        let conversations = open == 1 ? "1 open conversation" : "\(open) open conversations"
        let late = overdue == 0 ? "none overdue" : "\(overdue) overdue"
        return NotificationEmail(
            subject: "\(organization.name): your In Basket today",
            body: compose(
                organization, "Your In Basket has \(conversations), \(late).", "Sign in to work on them:", link))
    }

    /// A security notice: the person's password was changed. It names no one and says nothing of their messages.
    static func passwordChanged(from organization: OrganizationSettings, link: URL) -> NotificationEmail {
        NotificationEmail(
            subject: "\(organization.name): your password was changed",
            body: """
                The password of your \(organization.name) portal account was just changed, and every other \
                place the account was signed in was signed out.

                If you changed it, there is nothing more to do. If you did not, contact \(organization.name) at once: \
                someone else may know your password.

                Your account:
                \(link.absoluteString)

                Please do not reply to this email: replies are not read.

                \(organization.name)
                """)
    }

    /// A security notice: the account was signed in to from a browser it had not been used from before. It names no
    /// one, no place and nothing of their messages; the Security page behind the link lists the sign-ins.
    static func newSignIn(from organization: OrganizationSettings, link: URL) -> NotificationEmail {
        NotificationEmail(
            subject: "\(organization.name): a sign-in from a new device",
            body: """
                Your \(organization.name) portal account was just signed in to from a device or browser it \
                had not been used from before.

                If it was you, there is nothing more to do. If it was not, change your password now, and see your \
                recent sign-ins on the Security page:
                \(link.absoluteString)

                Please do not reply to this email: replies are not read.

                \(organization.name)
                """)
    }

    /// The link of a "Forgot password?" request. It names the account by username, since one address may have
    /// several (a parent who is also a proxy), and nothing else.
    static func passwordReset(from organization: OrganizationSettings, username: String, link: URL)
        -> NotificationEmail
    {
        NotificationEmail(
            subject: "\(organization.name): reset your password",
            body: """
                Someone asked to reset the password of the \(organization.name) portal account with the \
                username \(username).

                To choose a new password, open this link within 30 minutes. It works once:
                \(link.absoluteString)

                If you did not ask, you can ignore this email: your password has not changed.

                Please do not reply to this email: replies are not read.

                \(organization.name)
                """)
    }

    /// An activation code to sign up with. It names no one: the code works only with the patient's date of birth.
    static func activationCode(from organization: OrganizationSettings, code: String, until: String, link: URL)
        -> NotificationEmail
    {
        NotificationEmail(
            subject: "\(organization.name): your patient portal activation code",
            body: """
                \(organization.name) has made you an account in its patient portal. To sign up, open this page and \
                enter the activation code below with your date of birth, then choose a username and password:
                \(link.absoluteString)

                Activation code: \(code)

                The code works once, until \(until). If you did not expect it, you can ignore this email.

                Please do not reply to this email: replies are not read.

                \(organization.name)
                """)
    }

    /// A patient's invitation to act for them. It names no one, not even the patient: an invitation says that they
    /// are a patient here, which only the link (a secret) shows.
    static func proxyInvitation(from organization: OrganizationSettings, until: String, link: URL) -> NotificationEmail
    {
        NotificationEmail(
            subject: "\(organization.name): an invitation to the patient portal",
            body: """
                A patient of \(organization.name) has invited you to act for them in its patient portal: to read \
                and send their messages to their care team.

                To see who invited you, and to accept, open this link by \(until). It works once:
                \(link.absoluteString)

                If you did not expect it, you can ignore this email.

                Please do not reply to this email: replies are not read.

                \(organization.name)
                """)
    }

    private static func compose(_ organization: OrganizationSettings, _ text: String, _ action: String, _ link: URL)
        -> String
    {
        """
        \(text)

        \(action)
        \(link.absoluteString)

        For your privacy, this email never says what a message is about. Please do not reply to it: replies are not \
        read. To change which emails you get, sign in and open Notifications.

        \(organization.name)
        """
    }
}
