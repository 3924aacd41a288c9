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
                The password of your \(organization.name) patient portal account was just changed, and every other \
                place the account was signed in was signed out.

                If you changed it, there is nothing more to do. If you did not, contact \(organization.name) at once: \
                someone else may know your password.

                Your account:
                \(link.absoluteString)

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
