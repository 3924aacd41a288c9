import Domain
import Fluent
import Vapor

/// `carebox create-user`: bootstraps an organisation's first admin (or any account) on a server started with `serve`,
/// which never creates users by itself. The organisation is created, with its default message types, if it does not
/// exist.
struct CreateUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "organization", help: "The organisation's name; created if missing.")
        var organization: String?

        @Option(name: "time-zone", help: "The organisation's IANA time zone when it is created (default UTC).")
        var timeZone: String?

        @Option(name: "username", help: "The new user's username.")
        var username: String?

        @Option(name: "name", help: "The new user's full name.")
        var name: String?

        @Option(name: "role", help: "patient, proxy, provider, staff or admin (default admin).")
        var role: String?

        @Flag(name: "password-stdin", help: "Read the password from standard input instead of prompting.")
        var passwordFromStandardInput: Bool
    }

    var help: String { "Creates a user, such as an organisation's first admin." }

    func run(using context: CommandContext, signature: Signature) async throws {
        var problems: [String] = []
        let organizationName = signature.organization?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let username = signature.username.map(User.normalize(username:))?.nilIfEmpty
        let name = signature.name?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let role = Role(rawValue: signature.role ?? "admin")
        let timeZone = signature.timeZone ?? "UTC"
        if organizationName == nil { problems.append("--organization is required") }
        if username == nil { problems.append("--username is required") }
        if name == nil { problems.append("--name is required") }
        if role == nil {
            problems.append("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if TimeZone(identifier: timeZone) == nil {
            problems.append("--time-zone must be an IANA zone such as America/Chicago")
        }
        guard problems.isEmpty, let organizationName, let username, let name, let role else {
            throw CommandUsageError(problems: problems)
        }

        let password =
            signature.passwordFromStandardInput
            ? (readLine(strippingNewline: true) ?? "") : context.console.ask("Password:", isSecure: true)
        guard password.count >= 12 else {
            throw CommandUsageError(problems: ["the password must have at least 12 characters"])
        }

        let app = context.application
        let hash = try await app.password.async.hash(password)
        try await app.db.transaction { db in
            if try await User.query(on: db).filter(\.$username == username).first() != nil {
                throw CommandUsageError(problems: ["the username \(username) is taken"])
            }
            let organization: Organization
            if let existing = try await Organization.query(on: db).filter(\.$name == organizationName).first() {
                organization = existing
            } else {
                organization = Organization(name: organizationName, timeZone: timeZone, responseBusinessDays: 3)
                try await organization.create(on: db)
                try await DefaultMessageTypes.create(for: try organization.requireID(), on: db)
            }
            let user = User(
                organizationID: try organization.requireID(), username: username, passwordHash: hash, name: name)
            try await user.create(on: db)
            try await UserRole(userID: try user.requireID(), role: role).create(on: db)
        }
        context.console.print("Created \(role.rawValue) \(username) in \(organizationName).")
    }
}

struct CommandUsageError: Error, CustomStringConvertible {
    let problems: [String]
    var description: String { problems.joined(separator: "\n") }
}
