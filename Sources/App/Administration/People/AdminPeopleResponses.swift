import Domain
import Foundation
import Vapor

/// A person as administration shows them: what the organisation knows of the account, never anything they wrote.
struct AdminPersonResponse: Content, Equatable {
    let id: UUID
    let name: String
    /// Title, name and credentials, as messaging shows them ("Dr. Lena Park").
    let displayName: String
    let title: String?
    let credentials: String?
    let specialty: String?
    let birthDate: String?
    /// The organisation's number for a patient's record (MRN).
    let recordNumber: String?
    /// Where the person's emails go; they may change it themselves on their Notifications page.
    let email: String?
    let username: String?
    /// In the order of `Role.allCases`.
    let roles: [String]
    let active: Bool
    let mustChangePassword: Bool
    let version: Int

    init(_ user: User, roles: Set<Role>) {
        id = user.id!
        name = user.name
        displayName = user.personName.displayName
        title = user.title
        credentials = user.credentials
        specialty = user.specialty
        birthDate = user.birthDate
        recordNumber = user.recordNumber
        email = user.email
        username = user.username
        self.roles = Role.allCases.filter(roles.contains).map(\.rawValue)
        active = user.deactivatedAt == nil
        mustChangePassword = user.mustChangePassword
        version = user.version
    }
}

/// One page of a search, 25 (or `limit`) people in name order.
struct AdminPeoplePageResponse: Content {
    let items: [AdminPersonResponse]
    let page: Int
    /// The next page's number, when there is one.
    let nextPage: Int?
}

/// Shown once: Carebox keeps only its hash.
struct AdminTemporaryPasswordResponse: Content {
    let person: AdminPersonResponse
    let temporaryPassword: String
}

struct AdminCareRelationshipResponse: Content, Equatable {
    let id: UUID
    let patientId: UUID
    let provider: PersonResponse
    /// `primary_care` or `specialist`.
    let kind: String
    let from: String
    let until: String?
    /// In force today (in the organisation's time zone).
    let active: Bool
    let version: Int
}

/// An invitation emailed to someone to act for a patient; the address is not echoed.
struct AdminProxyInvitationResponse: Content, Equatable {
    let id: UUID
    let patientId: UUID
    let relationship: String
    let expiresAt: Date
}

struct AdminProxyGrantResponse: Content, Equatable {
    let id: UUID
    let patientId: UUID
    let proxy: PersonResponse
    let relationship: String
    let from: String
    let until: String?
    /// In force today (in the organisation's time zone).
    let active: Bool
    let version: Int
}

/// An activation code just issued. The code is here only when it is to be printed, and only this once: Carebox keeps
/// only its hash. An emailed code is made when the email is sent, and no one else sees it.
struct AdminActivationCodeResponse: Content {
    let person: AdminPersonResponse
    /// `print` or `email`.
    let delivery: String
    /// `ABCDE-FGHJK`; null when emailed.
    let activationCode: String?
    let expiresAt: Date

    private enum CodingKeys: String, CodingKey { case person, delivery, activationCode, expiresAt }

    /// `activationCode` is always there, null when emailed.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(person, forKey: .person)
        try container.encode(delivery, forKey: .delivery)
        try container.encode(activationCode, forKey: .activationCode)
        try container.encode(expiresAt, forKey: .expiresAt)
    }
}
