import Domain
import Foundation

/// Everything an administrator sets on a person, as the form or the API gave it, checked field by field. Field names
/// are the API's (`birthDate`); pages map them to their inputs.
struct PersonFields: Sendable, Equatable {
    var name: String
    var title: String?
    var credentials: String?
    var specialty: String?
    var birthDate: String?
    /// The organisation's number for a patient's record (MRN).
    var recordNumber: String?
    /// Where the person's emails go: notifications, an emailed activation code.
    var email: String?
    var username: String?
    var roles: Set<Role>

    /// The order fields are checked and reported in.
    static let order = [
        "name", "title", "credentials", "specialty", "birthDate", "recordNumber", "email", "username", "roles",
    ]

    static let recordNumberRule = "A record number is 1 to 20 letters, digits and hyphens."
    static let recordNumberTaken = "Another person here has that record number."

    /// Trimmed, with empty optional values as nil and the username lower-cased.
    init(
        name: String, title: String?, credentials: String?, specialty: String?, birthDate: String?,
        recordNumber: String?, email: String?, username: String?, roles: Set<Role>
    ) {
        func clean(_ value: String?) -> String? {
            guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        self.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        self.title = clean(title)
        self.credentials = clean(credentials)
        self.specialty = clean(specialty)
        self.birthDate = clean(birthDate)
        self.recordNumber = clean(recordNumber)?.uppercased()
        self.email = clean(email)
        self.username = clean(username).map(User.normalize(username:))
        self.roles = roles
    }

    init(_ user: User, roles: Set<Role>) {
        self.init(
            name: user.name, title: user.title, credentials: user.credentials, specialty: user.specialty,
            birthDate: user.birthDate, recordNumber: user.recordNumber, email: user.email, username: user.username,
            roles: roles)
    }

    /// Roles as the API spells them; an unknown one is refused.
    static func roles(_ names: [String]) throws -> Set<Role> {
        var roles: Set<Role> = []
        for name in names {
            guard let role = Role(rawValue: name) else {
                throw AdministrationError.invalid("roles", "A role is one of patient, proxy, provider, staff or admin.")
            }
            roles.insert(role)
        }
        return roles
    }

    /// Each field at fault, with a message for the person who typed it. `today` bounds a date of birth.
    func problems(today: CalendarDate) -> [String: String] {
        var problems: [String: String] = [:]
        if name.isEmpty || name.unicodeScalars.count > 100 {
            problems["name"] = "Enter the person's name (at most 100 characters)."
        }
        for (field, value, limit) in [
            ("title", title, 20), ("credentials", credentials, 40), ("specialty", specialty, 80),
        ]
        where (value?.unicodeScalars.count ?? 0) > limit {
            problems[field] = "Use at most \(limit) characters."
        }
        if let birthDate {
            if let date = CalendarDate(birthDate) {
                if date > today || date.year < 1880 { problems["birthDate"] = "Enter a date of birth in the past." }
            } else {
                problems["birthDate"] = "Enter the date of birth as YYYY-MM-DD, for example 1988-04-12."
            }
        }
        if roles.contains(.patient) && birthDate == nil && problems["birthDate"] == nil {
            problems["birthDate"] = "A patient needs a date of birth."
        }
        if let recordNumber {
            if !Self.isValid(recordNumber: recordNumber) {
                problems["recordNumber"] = Self.recordNumberRule
            } else if !roles.contains(.patient) {
                problems["recordNumber"] = "Only a patient has a record number."
            }
        }
        if let email, email.count > NotificationPreferences.maxEmailLength || (try? SMTPAddress(email)) == nil {
            problems["email"] = "Enter an email address such as name@example.org, or leave it empty."
        }
        if let username {
            if !Self.isValid(username: username) {
                problems["username"] = Self.usernameRule
            }
        } else if !roles.subtracting([.patient]).isEmpty {
            problems["username"] = "Providers, staff, proxies and administrators sign in: give them a username."
        }
        if roles.isEmpty { problems["roles"] = "Choose at least one role." }
        return problems
    }

    static let usernameRule =
        "A username is 2 to 64 characters: lower-case letters, digits, and . _ - or @, starting with a letter or digit."

    /// Upper-case letters, digits and hyphens (the form's value is upper-cased first), 1 to 20 of them.
    static func isValid(recordNumber: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        return (1...20).contains(recordNumber.count) && recordNumber.allSatisfy(allowed.contains)
    }

    static func isValid(username: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
        guard (2...64).contains(username.count), username.allSatisfy(allowed.contains),
            let first = username.first, first.isLetter || first.isNumber
        else { return false }
        return true
    }

    /// What the API refuses before any tidying: values longer than the document allows, and a username or date of
    /// birth with spaces around it (the pages trim what people type; an API client sends what it means).
    static func checkAsSent(
        name: String?, title: String?, credentials: String?, specialty: String?, birthDate: String?,
        recordNumber: String?, email: String?, username: String?
    ) throws {
        for (field, value, limit) in [
            ("name", name, 100), ("title", title, 20), ("credentials", credentials, 40), ("specialty", specialty, 80),
        ] where (value?.unicodeScalars.count ?? 0) > limit {
            throw AdministrationError.invalid(field, "Use at most \(limit) characters.")
        }
        for (field, value) in [
            ("birthDate", birthDate), ("recordNumber", recordNumber), ("email", email), ("username", username),
        ]
        where value.map({ $0 != $0.trimmingCharacters(in: .whitespacesAndNewlines) }) == true {
            throw AdministrationError.invalid(field, "Remove the spaces around the \(field).")
        }
    }

    /// The first problem, as the API answers it.
    func check(today: CalendarDate) throws {
        let problems = problems(today: today)
        if let field = Self.order.first(where: { problems[$0] != nil }) {
            throw AdministrationError.invalid(field, problems[field]!)
        }
    }

    /// What the audit log keeps: roles, username and flags as they are; name and date of birth only as markers.
    var auditValues: [String: String] {
        var values = ["roles": Role.allCases.filter(roles.contains).map(\.rawValue).joined(separator: ",")]
        values["username"] = username ?? ""
        values["name"] = "set"
        if birthDate != nil { values["birthDate"] = "set" }
        if recordNumber != nil { values["recordNumber"] = "set" }
        if email != nil { values["email"] = "set" }
        for (field, value) in [("title", title), ("credentials", credentials), ("specialty", specialty)] {
            if let value { values[field] = value }
        }
        return values
    }
}
