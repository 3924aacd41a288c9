import Domain
import Fluent
import Foundation

/// A person at an organisation: a patient, a proxy, a clinician, staff or an admin, or several of these. A person
/// without a username (a child patient) cannot sign in but can be messaged about through a proxy.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    /// Lower-case and unique across Carebox, since the sign-in page asks for nothing else.
    @OptionalField(key: "username") var username: String?
    @OptionalField(key: "password_hash") var passwordHash: String?
    @Field(key: "name") var name: String
    @OptionalField(key: "title") var title: String?
    @OptionalField(key: "credentials") var credentials: String?
    @OptionalField(key: "specialty") var specialty: String?
    /// `YYYY-MM-DD`; patients only.
    @OptionalField(key: "birth_date") var birthDate: String?
    /// The organisation's number for the patient's record (MRN); unique within the organisation.
    @OptionalField(key: "record_number") var recordNumber: String?
    /// Set while the account is deactivated: no sign-in, no API token.
    @OptionalField(key: "deactivated_at") var deactivatedAt: Date?
    /// Set with a temporary password: the next sign-in must choose a new one.
    @Field(key: "must_change_password") var mustChangePassword: Bool
    /// Where notification emails go; nil: none are sent.
    @OptionalField(key: "email") var email: String?
    /// Whether to email this person about new messages to them (or to the patients they are a proxy for).
    @Enum(key: "message_notices") var messageNotices: MessageNotices
    /// Whether to email this care-team member a daily summary of their open and overdue conversations.
    @Field(key: "care_team_summary") var careTeamSummary: Bool
    /// Bumped by every administrator's change, for `If-Match`.
    @Field(key: "version") var version: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    @Children(for: \.$user) var roleGrants: [UserRole]

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $organization, $username, $passwordHash, $name, $title, $credentials, $specialty, $birthDate,
            $recordNumber, $deactivatedAt, $email, $messageNotices, $careTeamSummary, $mustChangePassword, $version,
            $createdAt,
            $roleGrants,
        ]
    }

    init() {}

    init(
        organizationID: Organization.IDValue, username: String? = nil, passwordHash: String? = nil, name: String,
        title: String? = nil, credentials: String? = nil, specialty: String? = nil, birthDate: String? = nil
    ) {
        self.$organization.id = organizationID
        self.username = username.map(User.normalize(username:))
        self.passwordHash = passwordHash
        self.name = name
        self.title = title
        self.credentials = credentials
        self.specialty = specialty
        self.birthDate = birthDate
        self.mustChangePassword = false
        self.messageNotices = .immediately
        self.careTeamSummary = false
        self.version = 1
    }

    var personName: PersonName { PersonName(name: name, title: title, credentials: credentials) }

    static func normalize(username: String) -> String {
        username.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

/// One role a user holds.
final class UserRole: Model, @unchecked Sendable {
    static let schema = "user_roles"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Enum(key: "role") var role: Role

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] { [$id, $user, $role] }

    init() {}

    init(userID: User.IDValue, role: Role) {
        self.$user.id = userID
        self.role = role
    }
}
