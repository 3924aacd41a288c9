import Domain
import Fluent
import Vapor

/// `carebox create-organization NAME --admin USERNAME`: a new organisation with the default message types
/// (`DefaultMessageTypes`) and its first administrator, in one transaction. An existing organisation name or a taken
/// username is refused and nothing is created.
struct CreateOrganizationCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "name", help: "The organisation's name.")
        var name: String

        @Option(name: "admin", help: "The first administrator's username.")
        var admin: String?

        @Option(name: "admin-name", help: "The administrator's full name (default: the username).")
        var adminName: String?

        @Option(name: "time-zone", help: "The organisation's IANA time zone (default UTC).")
        var timeZone: String?

        @Flag(name: "password-stdin", help: "Read the administrator's password from standard input.")
        var passwordFromStandardInput: Bool
    }

    var help: String { "Creates an organisation with its default message types and its first administrator." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let name = signature.name.trimmingCharacters(in: .whitespaces)
        let username = signature.admin.map(User.normalize(username:)) ?? ""
        let timeZone = signature.timeZone ?? "UTC"
        var problems: [String] = []
        if name.isEmpty || name.count > 200 { problems.append("NAME must be 1 to 200 characters") }
        if username.isEmpty { problems.append("--admin USERNAME is required") }
        if TimeZone(identifier: timeZone) == nil {
            problems.append("--time-zone must be an IANA zone such as America/Chicago")
        }
        guard problems.isEmpty else { throw CommandUsageError(problems: problems) }
        let adminName = signature.adminName?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? username

        let password =
            signature.passwordFromStandardInput
            ? (readLine(strippingNewline: true) ?? "") : context.console.ask("Password:", isSecure: true)
        guard password.count >= 12 else {
            throw CommandUsageError(problems: ["the password must have at least 12 characters"])
        }
        let hash = try await context.application.password.async.hash(password)
        try await Self.create(
            name: name, timeZone: timeZone, admin: username, adminName: adminName, passwordHash: hash,
            on: context.application.db)
        context.console.print(
            "Created \(name) with \(DefaultMessageTypes.all.count) message types and administrator \(username).")
    }

    /// Creates the organisation, its default message types and its administrator, or nothing.
    static func create(
        name: String, timeZone: String, admin username: String, adminName: String, passwordHash: String,
        on database: any Database
    ) async throws {
        try await database.transaction { db in
            if try await Organization.query(on: db).filter(\.$name == name).first() != nil {
                throw CommandUsageError(problems: ["an organization named \(name) exists already"])
            }
            if try await User.query(on: db).filter(\.$username == username).first() != nil {
                throw CommandUsageError(problems: ["the username \(username) is taken"])
            }
            let organization = Organization(name: name, timeZone: timeZone, responseBusinessDays: 3)
            try await organization.create(on: db)
            let id = try organization.requireID()
            try await DefaultMessageTypes.create(for: id, on: db)
            let user = User(organizationID: id, username: username, passwordHash: passwordHash, name: adminName)
            try await user.create(on: db)
            try await UserRole(userID: try user.requireID(), role: .admin).create(on: db)
        }
    }
}
