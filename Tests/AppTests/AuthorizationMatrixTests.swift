import Domain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Every API route, tried by every kind of actor, with the status each must get. No refusal may carry a subject or a
/// message text, and a proxy never sees, counts or finds a confidential conversation.
@Suite struct AuthorizationMatrixTests {
    enum Actor: String, CaseIterable, CustomTestStringConvertible {
        case ownerPatient, otherPatient, proxyWithGrant, proxyWithoutGrant, recipientProvider, otherProvider
        case poolMember, admin, anonymous

        var testDescription: String { rawValue }

        var username: String? {
            switch self {
            case .ownerPatient: "alex"
            case .otherPatient: "other"
            case .proxyWithGrant: "jordan"
            case .proxyWithoutGrant: "proxyless"
            case .recipientProvider: "mchen"
            case .otherProvider: "lpark"
            case .poolMember: "ntorres"
            case .admin: "admin"
            case .anonymous: nil
            }
        }
    }

    /// The conversations and draft the matrix is tried on, all Alex's: `toChen` (not confidential), `confidential`
    /// (to Dr. Chen, confidential), `toNurseTriage`, and a draft.
    struct Fixture {
        let toChen: UUID
        let confidential: UUID
        let toNurseTriage: UUID
        let draft: UUID
    }

    static let secret = "ZZSECRET"

    /// Expected statuses on a conversation: open, edit, reply, mark read, archive, unarchive.
    typealias ConversationStatuses = [UInt]
    static let full: ConversationStatuses = [200, 200, 201, 204, 204, 204]
    static let careTeam: ConversationStatuses = [200, 403, 201, 204, 204, 204]
    /// A proxy replies, reads and files, but does not edit a conversation the patient started (docs/messaging.md).
    static let proxy: ConversationStatuses = [200, 403, 201, 204, 204, 204]
    static let hidden: ConversationStatuses = [404, 404, 404, 404, 404, 404]
    static let unauthenticated: ConversationStatuses = [401, 401, 401, 401, 401, 401]

    /// (actor, on `toChen`, on `confidential`, on `toNurseTriage`)
    static let conversationMatrix: [(Actor, ConversationStatuses, ConversationStatuses, ConversationStatuses)] = [
        (.ownerPatient, full, full, full),
        (.otherPatient, hidden, hidden, hidden),
        (.proxyWithGrant, proxy, hidden, proxy),
        (.proxyWithoutGrant, hidden, hidden, hidden),
        (.recipientProvider, careTeam, careTeam, hidden),
        (.otherProvider, hidden, hidden, hidden),
        (.poolMember, hidden, hidden, careTeam),
        (.admin, hidden, hidden, hidden),
        (.anonymous, unauthenticated, unauthenticated, unauthenticated),
    ]

    @Test(arguments: conversationMatrix)
    func conversationRoutes(
        actor: Actor, toChen: ConversationStatuses, confidential: ConversationStatuses,
        toNurseTriage: ConversationStatuses
    ) async throws {
        try await withMatrix { app, fixture, client in
            let api = try await client(actor)
            for (id, expected) in [
                (fixture.toChen, toChen), (fixture.confidential, confidential), (fixture.toNurseTriage, toNurseTriage),
            ] {
                let version = try await Conversation.find(id, on: app.db)!.version
                let replies = [
                    try await api.get("/conversations/\(id)"),
                    try await api.send(
                        .PATCH, "/conversations/\(id)", json: ["subject": "Renamed"],
                        headers: ["If-Match": "\"\(version)\""]),
                    try await api.send(.POST, "/conversations/\(id)/messages", json: ["body": "A reply"]),
                    try await api.send(.POST, "/conversations/\(id)/read"),
                    try await api.send(.PUT, "/conversations/\(id)/archive"),
                    try await api.send(.DELETE, "/conversations/\(id)/archive"),
                ]
                #expect(replies.map(\.status.code) == expected, "\(actor) on \(id)")
                expectNothingLeaks(replies)
            }
        }
    }

    /// (actor, open, save, discard at a stale version) on Alex's draft
    @Test(arguments: [
        (Actor.ownerPatient, [UInt(200), 200, 409]), (.otherPatient, [404, 404, 404]),
        (.proxyWithGrant, [404, 404, 404]), (.proxyWithoutGrant, [404, 404, 404]),
        (.recipientProvider, [404, 404, 404]), (.otherProvider, [404, 404, 404]), (.poolMember, [404, 404, 404]),
        (.admin, [404, 404, 404]), (.anonymous, [401, 401, 401]),
    ])
    func draftRoutes(actor: Actor, expected: [UInt]) async throws {
        try await withMatrix { _, fixture, client in
            let api = try await client(actor)
            let replies = [
                try await api.get("/drafts/\(fixture.draft)"),
                try await api.send(
                    .PUT, "/drafts/\(fixture.draft)", json: ["subject": "Edited \(Self.secret)"],
                    headers: ["If-Match": "\"1\""]),
                try await api.send(.DELETE, "/drafts/\(fixture.draft)", headers: ["If-Match": "\"99\""]),
            ]
            #expect(replies.map(\.status.code) == expected)
            let send = try await api.send(.POST, "/drafts/\(fixture.draft)/send", headers: ["If-Match": "\"99\""])
            #expect(send.status.code == [.ownerPatient: 409, .anonymous: 401][actor, default: 404])
            expectNothingLeaks(replies + [send])
        }
    }

    /// (actor, lists and directory answer 200?, may search recipients and keep drafts for Alex?, status of starting a
    /// conversation about Alex with Dr. Chen: patients and proxies write to her, and she may write to her patient)
    @Test(arguments: [
        (Actor.ownerPatient, true, true, UInt(201)), (.otherPatient, true, false, 404),
        (.proxyWithGrant, true, true, 201),
        (.proxyWithoutGrant, true, false, 404), (.recipientProvider, true, false, 201),
        (.otherProvider, true, false, 422),
        (.poolMember, true, false, 422), (.admin, false, false, 404), (.anonymous, false, false, 401),
    ])
    func collectionRoutes(actor: Actor, usesMessaging: Bool, actsForAlex: Bool, startWithChen: UInt) async throws {
        try await withMatrix { app, fixture, client in
            let api = try await client(actor)
            let ids = try await DemoIDs.load(app.db)
            let refused: UInt = actor == .anonymous ? 401 : 404
            let lists = [
                try await api.get("/conversations"), try await api.get("/conversations?folder=sent"),
                try await api.get("/conversations?folder=archived"), try await api.get("/unread-counts"),
                try await api.get("/message-types"), try await api.get("/acting-for"), try await api.get("/drafts"),
            ]
            #expect(lists.map(\.status.code) == Array(repeating: usesMessaging ? 200 : refused, count: lists.count))

            let forAlex = [
                try await api.get("/recipients?type=\(ids.types["General Message"]!)&patient=\(ids.users["alex"]!)"),
                try await api.send(
                    .POST, "/drafts", json: ["patientId": ids.users["alex"]!.uuidString, "subject": "Hi"]),
            ]
            let started = try await api.send(
                .POST, "/conversations", json: ids.start("General Message", to: ids.provider("mchen"), patient: "alex"))
            #expect(forAlex.map(\.status.code) == (actsForAlex ? [200, 201] : [refused, refused]))
            #expect(started.status.code == startWithChen)
            expectNothingLeaks(lists + forAlex + [started])

            // What each actor's lists show of Alex's three conversations.
            let visible = lists[0].body + lists[1].body + lists[2].body
            let seesToChen = [.ownerPatient, .proxyWithGrant, .recipientProvider].contains(actor)
            #expect(visible.contains(fixture.toChen.uuidString) == seesToChen)
            #expect(
                visible.contains(fixture.confidential.uuidString)
                    == [.ownerPatient, .recipientProvider].contains(actor))
            #expect(
                visible.contains(fixture.toNurseTriage.uuidString)
                    == [.ownerPatient, .proxyWithGrant, .poolMember].contains(actor))
            #expect(lists[6].body.contains(fixture.draft.uuidString) == (actor == .ownerPatient))
        }
    }

    @Test func aProxyNeverCountsAConfidentialConversation() async throws {
        try await withMatrix { _, fixture, client in
            // The care team answers all three.
            let chen = try await client(.recipientProvider)
            let torres = try await client(.poolMember)
            for id in [fixture.toChen, fixture.confidential] {
                _ = try await chen.send(.POST, "/conversations/\(id)/messages", json: ["body": "Answer"])
            }
            _ = try await torres.send(
                .POST, "/conversations/\(fixture.toNurseTriage)/messages", json: ["body": "Answer"])
            // Unread for Jordan: Alex's two conversations he may see (to Dr. Chen and to Nurse Triage); never the third.
            let jordan = try await client(.proxyWithGrant)
            let counts: UnreadCountsResponse = try await jordan.get("/unread-counts").decode()
            #expect(counts.inbox == 2)
            #expect(counts.drafts == 0)
        }
    }

    private func expectNothingLeaks(_ replies: [APIClient.Reply], sourceLocation: SourceLocation = #_sourceLocation) {
        for reply in replies where reply.status.code >= 400 {
            #expect(!reply.body.contains(Self.secret), "a refusal leaked content", sourceLocation: sourceLocation)
        }
    }

    private func withMatrix(
        _ body: (Application, Fixture, (Actor) async throws -> APIClient) async throws -> Void
    ) async throws {
        try await withDemo { app in
            let organization = try await Organization.query(on: app.db).first()!.requireID()
            for (username, name, role) in [("other", "Olive Other", Role.patient), ("proxyless", "Pat Proxy", .proxy)] {
                let user = User(organizationID: organization, username: username, name: name)
                try await user.create(on: app.db)
                try await UserRole(userID: user.requireID(), role: role).create(on: app.db)
            }
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                func start(_ json: [String: Any]) async throws -> UUID {
                    try await alex.send(.POST, "/conversations", json: json).decode(ConversationResponse.self)
                        .conversation.id
                }
                let fixture = Fixture(
                    toChen: try await start(
                        ids.start(
                            "General Message", to: ids.provider("mchen"), subject: "Knee \(Self.secret)",
                            body: "Body \(Self.secret)")),
                    confidential: try await start(
                        ids.start(
                            "General Message", to: ids.provider("mchen"), subject: "Private \(Self.secret)",
                            confidential: true, body: "Private \(Self.secret)")),
                    toNurseTriage: try await start(
                        ids.start(
                            "Medical Question", to: ids.pool("Nurse Triage"), subject: "Rash \(Self.secret)",
                            body: "Rash \(Self.secret)")),
                    draft: try await alex.send(.POST, "/drafts", json: ["subject": "Draft \(Self.secret)"])
                        .decode(DraftResponse.self).id)
                try await body(app, fixture) { actor in
                    guard let username = actor.username else { return APIClient(browser: browser, token: nil) }
                    return try await APIClient.signedIn(username, app: app, browser: browser)
                }
            }
        }
    }
}
