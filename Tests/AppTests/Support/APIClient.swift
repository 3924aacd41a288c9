import AsyncHTTPClient
import Fluent
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import Vapor

@testable import App

/// An API client for one user, over real HTTP with a bearer token, as a script or app would call Carebox.
struct APIClient {
    struct Reply {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: String
        var bytes: [UInt8] = []

        func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(T.self, from: Data(body.utf8))
        }

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    let browser: TestBrowser
    /// nil: anonymous.
    let token: String?

    /// A client acting as `username`, with a token made for it.
    static func signedIn(_ username: String, app: Application, browser: TestBrowser) async throws -> APIClient {
        let user = try await User.query(on: app.db).filter(\.$username == username).first()!
        let secret = SessionStore.newToken()
        try await APIToken(userID: user.requireID(), name: "test", tokenHash: SessionStore.hash(secret), at: Date())
            .create(on: app.db)
        return APIClient(browser: browser, token: secret)
    }

    /// Uploads `bytes` as a file into a draft.
    func upload(
        _ bytes: [UInt8], named filename: String, to draft: UUID,
        claiming contentType: String = "application/octet-stream"
    )
        async throws -> Reply
    {
        let name = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try await sendBytes(
            .POST, "/drafts/\(draft)/attachments?filename=\(name)", bytes: bytes, headers: ["Content-Type": contentType]
        )
    }

    func sendBytes(_ method: HTTPMethod, _ path: String, bytes: [UInt8]?, headers: [String: String] = [:]) async throws
        -> Reply
    {
        var all = headers
        if let token { all["Authorization"] = "Bearer \(token)" }
        let page = try await browser.raw(method, "/api/v1" + path, bytes: bytes, headers: all)
        return check(method, path, page)
    }

    func get(_ path: String) async throws -> Reply {
        try await send(.GET, path)
    }

    func send(_ method: HTTPMethod, _ path: String, json: Any? = nil, headers: [String: String] = [:]) async throws
        -> Reply
    {
        var all = headers
        if let token { all["Authorization"] = "Bearer \(token)" }
        var body: String?
        if let json {
            body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
            all["Content-Type"] = "application/json"
        }
        let page = try await browser.raw(method, "/api/v1" + path, body: body, headers: all)
        return check(method, path, page)
    }

    private func check(_ method: HTTPMethod, _ path: String, _ page: TestBrowser.Page) -> Reply {
        // Every real response is checked against the OpenAPI document the server serves.
        let problems = OpenAPIDocument.shared.problems(
            method: method.rawValue, path: path, status: page.status.code,
            contentType: page.headers.first(name: .contentType), body: page.body)
        #expect(problems.isEmpty, "\(method) \(path) → \(page.status.code) differs from openapi.json: \(problems)")
        return Reply(status: page.status, headers: page.headers, body: page.body, bytes: page.bytes)
    }
}

/// Demo ids looked up by name, for building requests.
struct DemoIDs {
    let users: [String: UUID]
    let types: [String: UUID]
    let pools: [String: UUID]

    static func load(_ db: any Database) async throws -> DemoIDs {
        let users = try await User.query(on: db).all()
        let types = try await MessageType.query(on: db).all()
        let pools = try await Pool.query(on: db).all()
        return DemoIDs(
            users: Dictionary(uniqueKeysWithValues: users.map { ($0.username ?? $0.name, $0.id!) }),
            types: Dictionary(uniqueKeysWithValues: types.map { ($0.name, $0.id!) }),
            pools: Dictionary(uniqueKeysWithValues: pools.map { ($0.name, $0.id!) }))
    }

    func provider(_ username: String) -> [String: String] {
        ["kind": "provider", "id": users[username]!.uuidString]
    }

    func pool(_ name: String) -> [String: String] {
        ["kind": "pool", "id": pools[name]!.uuidString]
    }

    func start(
        _ type: String, to recipient: [String: String], subject: String? = nil, confidential: Bool = false,
        body: String = "Hello", patient: String? = nil
    ) -> [String: Any] {
        var json: [String: Any] = [
            "messageTypeId": types[type]!.uuidString, "recipient": recipient, "confidential": confidential,
            "body": body,
        ]
        if let subject { json["subject"] = subject }
        if let patient { json["patientId"] = users[patient]!.uuidString }
        return json
    }
}
