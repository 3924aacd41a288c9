import Domain
import Foundation
import Vapor

/// The people list: a search form, one page of results, and links to the pages before and after.
struct PeopleListPage: Encodable {
    struct Row: Encodable {
        let person: AdminPersonResponse
        let rolesLabel: String
    }

    let layout: LayoutModel
    let q: String
    let born: String
    let roleOptions: [OptionModel]
    let rows: [Row]
    let page: Int
    let previousLink: String?
    let nextLink: String?
    let error: String?

    static func link(_ search: PeopleQueries.Search, page: Int) -> String {
        var components = URLComponents()
        components.path = "/administration/people"
        var items: [URLQueryItem] = []
        if let text = search.text { items.append(URLQueryItem(name: "q", value: text)) }
        if let born = search.born { items.append(URLQueryItem(name: "born", value: born)) }
        if let role = search.role { items.append(URLQueryItem(name: "role", value: role.rawValue)) }
        if page > 1 { items.append(URLQueryItem(name: "page", value: String(page))) }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? "/administration/people"
    }

    static func roleOptions(selected: Set<Role>, includeAny: Bool) -> [OptionModel] {
        (includeAny ? [OptionModel(value: "", label: "Any role", detail: nil, selected: selected.isEmpty)] : [])
            + Role.allCases.map {
                OptionModel(value: $0.rawValue, label: label(of: $0), detail: nil, selected: selected.contains($0))
            }
    }

    static func label(of role: Role) -> String {
        switch role {
        case .patient: "Patient"
        case .proxy: "Proxy"
        case .provider: "Provider"
        case .staff: "Staff"
        case .admin: "Administrator"
        }
    }

    static func rolesLabel(_ roles: [String]) -> String {
        roles.compactMap(Role.init(rawValue:)).map(label(of:)).joined(separator: ", ")
    }
}

/// The create and edit form for a person.
struct PersonFormPage: Encodable {
    let layout: LayoutModel
    let heading: String
    let action: String
    /// nil when creating.
    let personID: UUID?
    let version: Int?
    let name: String
    let title: String
    let credentials: String
    let specialty: String
    let birthDate: String
    let recordNumber: String
    let email: String
    let username: String
    let roles: [OptionModel]
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]
    let cancel: String

    /// Pages name the API's `birthDate` `birth_date`, and `recordNumber` `record_number`.
    static func formErrors(_ problems: [String: String]) -> [String: String] {
        let names = ["birthDate": "birth_date", "recordNumber": "record_number"]
        return Dictionary(uniqueKeysWithValues: problems.map { (names[$0.key] ?? $0.key, $0.value) })
    }
}

/// A person's page: their account, the actions on it, and for a patient their care relationships and proxies.
struct PersonPage: Encodable {
    struct Relationship: Encodable {
        let item: AdminCareRelationshipResponse
        let kindLabel: String
        /// "Active", "Ends today", "Active until …" or "Not in force": an ended relationship stays in force through its
        /// last day, so right after End Today it is still in force, and says until when.
        let status: String
        /// End Today is offered only while ending today would shorten it.
        let canEndToday: Bool

        init(_ item: AdminCareRelationshipResponse, today: String) {
            self.item = item
            kindLabel = PersonPage.kindLabel(item.kind)
            switch (item.active, item.until) {
            case (false, _): status = "Not in force"
            case (true, nil): status = "Active"
            case (true, let until?) where until == today: status = "Ends today"
            case (true, let until?): status = "Active until \(until)"
            }
            canEndToday = item.active && (item.until.map { $0 > today } ?? true)
        }
    }

    /// A patient this person is (or was) a proxy for.
    struct ActsFor: Encodable {
        let patient: PersonResponse
        let grant: AdminProxyGrantResponse
    }

    let layout: LayoutModel
    let person: AdminPersonResponse
    let rolesLabel: String
    let actsFor: [ActsFor]
    let notice: String?
    let errorSummary: [ErrorSummaryItem]
    let isSelf: Bool
    let isPatient: Bool
    /// A patient with no account yet, who can be given an activation code.
    let offersActivationCode: Bool
    /// An address is on file, so an activation code can be emailed.
    let hasEmail: Bool
    /// Two-step verification is set up, so it can be reset.
    let twoFactorOn: Bool
    let relationships: [Relationship]
    let providers: [OptionModel]
    let kinds: [OptionModel]
    let relationshipForm: [String: String]
    let relationshipErrors: [String: String]
    let proxies: [AdminProxyGrantResponse]
    let proxyRelationships: [OptionModel]
    let proxyForm: [String: String]
    let proxyErrors: [String: String]
    let today: String

    static func kindLabel(_ kind: String) -> String {
        kind == CareRelationship.Kind.specialist.rawValue ? "Specialist" : "Primary care"
    }

    /// What a redirect after a change tells the administrator, by a fixed key (the query never carries text).
    static let notices: [String: String] = [
        "created": "The person was added.",
        "updated": "The changes were saved.",
        "deactivated": "The account was deactivated. Their sessions have ended and their API tokens no longer work.",
        "reactivated": "The account was reactivated.",
        "relationship-added": "The care relationship was added.",
        "relationship-ended": "The care relationship was ended.",
        "proxy-granted": "Proxy access was granted.",
        "proxy-revoked": "Proxy access was revoked.",
        "activation-code-emailed":
            "An activation code was emailed to the patient. It works once, for 30 days; any earlier code no longer works.",
        "proxy-invited":
            "The invitation was emailed. It works once, for 14 days; access starts when it is accepted.",
        "two-factor-reset":
            "Two-step verification was reset. Their sessions have ended; they sign in with their password and set it up "
            + "again.",
    ]
}

/// Shown once, straight after the temporary password is set: it is never shown again.
struct TemporaryPasswordPage: Encodable {
    let layout: LayoutModel
    let person: AdminPersonResponse
    let temporaryPassword: String
}

/// Shown once, straight after a code to print is issued, as a letter for the patient: it is never shown again.
struct ActivationCodePage: Encodable {
    let layout: LayoutModel
    let person: AdminPersonResponse
    let code: String
    /// The last day it works, spelled out.
    let until: String
    let signUpURL: String
    let organization: String
}
