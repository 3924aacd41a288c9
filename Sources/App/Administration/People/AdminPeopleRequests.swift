import Foundation
import Vapor

/// Creates a person. `roles` holds at least one of patient, proxy, provider, staff, admin.
struct AdminCreatePersonRequest: Content {
    var name: String
    var roles: [String]
    var title: String?
    var credentials: String?
    var specialty: String?
    var birthDate: String?
    var recordNumber: String?
    var email: String?
    var username: String?
}

/// Changes a person: fields left out (or null) stay as they are; an empty string clears an optional one.
struct AdminUpdatePersonRequest: Content {
    var name: String?
    var roles: [String]?
    var title: String?
    var credentials: String?
    var specialty: String?
    var birthDate: String?
    var recordNumber: String?
    var email: String?
    var username: String?
}

struct AdminAddCareRelationshipRequest: Content {
    var providerId: UUID
    /// `primary_care` or `specialist`.
    var kind: String
    /// `YYYY-MM-DD`; today when left out.
    var from: String?
    var until: String?
}

struct AdminEndCareRelationshipRequest: Content {
    /// The last day it is in force, `YYYY-MM-DD`; today when left out.
    var until: String?
}

struct AdminGrantProxyRequest: Content {
    var proxyId: UUID
    var relationship: String
    var from: String?
    var until: String?
}

struct AdminInviteProxyRequest: Content {
    var email: String?
    var relationship: String?
}

struct AdminIssueActivationCodeRequest: Content {
    /// `print` or `email`.
    var delivery: String
}
