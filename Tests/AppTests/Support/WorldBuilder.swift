import Domain
import Fluent
import Foundation
import Vapor

@testable import App

/// Builds a small organisation for one test, person by person, instead of leaning on the demo: `.patient()`,
/// `.provider()`, `.staff(in:)`, `.pool()`, `.proxyGrant()`, `.careRelationship()`, and a messaging store acting as any
/// of them.
struct WorldBuilder {
    let app: Application
    let organization: UUID
    /// A message type offering the patient's providers and every pool built, allowing confidentiality.
    let generalType: UUID

    static let since2020 = ActivePeriod(from: CalendarDate("2020-01-01")!)

    static func make(_ app: Application, name: String = "Test Clinic") async throws -> WorldBuilder {
        let organization = Organization(name: name, timeZone: "America/Chicago", responseBusinessDays: 3)
        try await organization.create(on: app.db)
        let type = MessageType(
            organizationID: try organization.requireID(), name: "General Message", description: "Anything",
            position: 0, offersCareTeam: true)
        try await type.create(on: app.db)
        return WorldBuilder(app: app, organization: try organization.requireID(), generalType: try type.requireID())
    }

    func person(_ name: String, roles: [Role], title: String? = nil) async throws -> UUID {
        let user = User(
            organizationID: organization, username: name.lowercased().replacingOccurrences(of: " ", with: "."),
            name: name, title: title, birthDate: "1980-01-01")
        try await user.create(on: app.db)
        for role in roles { try await UserRole(userID: try user.requireID(), role: role).create(on: app.db) }
        return try user.requireID()
    }

    func patient(_ name: String) async throws -> UUID { try await person(name, roles: [.patient]) }

    func provider(_ name: String) async throws -> UUID { try await person(name, roles: [.provider], title: "Dr.") }

    func staff(_ name: String, in pools: [UUID]) async throws -> UUID {
        let id = try await person(name, roles: [.staff])
        for pool in pools {
            let member = PoolMember()
            member.$pool.id = pool
            member.$user.id = id
            try await member.create(on: app.db)
        }
        return id
    }

    /// A pool, offered by the general message type.
    func pool(_ name: String) async throws -> UUID {
        let pool = Pool(organizationID: organization, name: name)
        try await pool.create(on: app.db)
        let offered = MessageTypePool()
        offered.$messageType.id = generalType
        offered.$pool.id = try pool.requireID()
        try await offered.create(on: app.db)
        return try pool.requireID()
    }

    func proxyGrant(_ proxy: UUID, for patient: UUID) async throws {
        try await ProxyGrant(
            organizationID: organization, proxyID: proxy, patientID: patient, relationship: "parent",
            period: Self.since2020
        ).create(on: app.db)
    }

    func careRelationship(_ patient: UUID, _ provider: UUID) async throws {
        try await CareRelationship(
            organizationID: organization, patientID: patient, providerID: provider, kind: .primaryCare,
            period: Self.since2020
        ).create(on: app.db)
    }

    /// The messaging store as `user` sees it now (on the app's clock).
    func store(as user: UUID) async throws -> MessagingStore {
        let found = try await User.query(on: app.db).filter(\.$id == user).with(\.$roleGrants).first()!
        let signedIn = SignedInUser(
            id: user, organizationID: organization, displayName: found.personName.displayName,
            roles: Set(found.roleGrants.map(\.role)), sessionID: nil)
        let context = try await MessagingContext.resolve(
            user: signedIn, organizations: app.organizations, at: app.config.clock.now(), from: nil, on: app.db)
        return MessagingStore(db: app.db, writes: app.writes, context: context)
    }

    /// A conversation `author` starts for `patient` (themselves, or one they are a proxy for), through `SendMessage`.
    func conversation(
        by author: UUID, for patient: UUID? = nil, to recipient: Recipient, confidential: Bool = false,
        body: String = "Hello"
    ) async throws -> UUID {
        let input = SendMessage.StartInput(
            patientId: patient, messageTypeId: generalType, recipient: RecipientInput(recipient), subject: nil,
            confidential: confidential, body: .text(body))
        return try await SendMessage(store: try await store(as: author)).start(input, idempotencyKey: nil)
            .conversationID
    }

    func reply(by author: UUID, in conversation: UUID, body: String = "Reply") async throws {
        _ = try await SendMessage(store: try await store(as: author)).reply(
            to: conversation, body: .text(body), idempotencyKey: nil)
    }
}
