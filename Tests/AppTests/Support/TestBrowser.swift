import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Vapor

@testable import App

/// A browser in miniature: real HTTP to a real server on 127.0.0.1, a cookie jar, and forms posted with the CSRF
/// token the page handed out. It does not follow redirects, so tests see each one.
final class TestBrowser: @unchecked Sendable {
    struct Page {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: String
        /// The body exactly as received, for downloads.
        var bytes: [UInt8] = []

        var location: String? { headers.first(name: .location) }
        /// The session cookie this response set, if any.
        var sessionCookie: HTTPCookies.Value? { headers.setCookie?[SessionStore.cookieName] }
    }

    private let app: Application
    private let client: HTTPClient
    private let baseURL: String
    private(set) var cookies: [String: String] = [:]

    private init(app: Application, client: HTTPClient, baseURL: String) {
        self.app = app
        self.client = client
        self.baseURL = baseURL
    }

    /// Starts the application's server on a free loopback port and opens a browser on it; both end when `body` does.
    static func open(_ app: Application, _ body: (TestBrowser) async throws -> Void) async throws {
        TestTrace.step("start server")
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = app.http.server.shared.localAddress?.port ?? 0
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // Tests send up to 16 requests at once as 16 clients would: each gets its own connection instead of queueing
        // for one of 8 and timing out in the queue on a loaded machine.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await body(TestBrowser(app: app, client: client, baseURL: "http://127.0.0.1:\(port)"))
        } catch {
            TestTrace.step("browser shut down after \(type(of: error))")
            try? await client.shutdown()
            TestTrace.step("server shut down")
            await app.server.shutdown()
            throw error
        }
        TestTrace.step("browser shut down")
        try await client.shutdown()
        TestTrace.step("server shut down")
        await app.server.shutdown()
    }

    /// Another browser with its own cookie jar, on the same server.
    func newWindow() -> TestBrowser {
        TestBrowser(app: app, client: client, baseURL: baseURL)
    }

    func get(_ path: String) async throws -> Page {
        try await send(.GET, path)
    }

    /// Posts a form as a page would, with the CSRF token from the cookie jar unless `csrf` overrides it.
    func post(_ path: String, _ fields: [String: String], csrf: String? = nil) async throws -> Page {
        var fields = fields
        fields[CSRFMiddleware.formField] = csrf ?? csrfToken
        var components = URLComponents()
        components.queryItems = fields.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try await send(.POST, path, body: body, contentType: "application/x-www-form-urlencoded")
    }

    /// Posts a multipart form with one file, as a page without JavaScript sends New Message with an attachment.
    func postMultipart(_ path: String, fields: [String: String], file: (field: String, name: String, bytes: [UInt8]))
        async throws -> Page
    {
        let boundary = "carebox-test-\(UUID().uuidString)"
        var fields = fields
        fields[CSRFMiddleware.formField] = csrfToken
        var body: [UInt8] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                .utf8)
        body += file.bytes + Array("\r\n--\(boundary)--\r\n".utf8)
        return try await raw(
            .POST, path, bytes: body, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
    }

    /// Signs in through the sign-in page.
    @discardableResult
    func signIn(_ username: String, password: String = DemoOrganization.password, next: String? = nil) async throws
        -> Page
    {
        _ = try await get("/sign-in")
        var fields = ["username": username, "password": password]
        if let next { fields["next"] = next }
        return try await post("/sign-in", fields)
    }

    /// The CSRF token the page in this browser carries: bound to the session once signed in, else the cookie's.
    var csrfToken: String {
        if let session = cookies[SessionStore.cookieName], !session.isEmpty {
            return CSRFMiddleware.token(forSession: session)
        }
        return cookies[CSRFMiddleware.cookieName] ?? ""
    }

    func setCookie(_ name: String, _ value: String?) {
        cookies[name] = value
    }

    private func send(_ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String? = nil)
        async throws -> Page
    {
        try await raw(method, path, body: body, headers: contentType.map { ["Content-Type": $0] } ?? [:])
    }

    /// Sends a body as a stream of chunks, as a large upload arrives; the server sees it piece by piece.
    func stream(
        _ method: HTTPMethod, _ path: String, chunks: AsyncStream<ByteBuffer>, headers: [String: String]
    ) async throws -> Page {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .stream(chunks, length: .unknown)
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 10 * 1024 * 1024)
        return Page(
            status: response.status, headers: response.headers, body: String(buffer: bytes), bytes: Array(buffer: bytes)
        )
    }

    /// One request with the cookie jar and the given headers.
    func raw(_ method: HTTPMethod, _ path: String, body: String?, headers: [String: String]) async throws -> Page {
        try await raw(method, path, bytes: body.map { Array($0.utf8) }, headers: headers)
    }

    func raw(_ method: HTTPMethod, _ path: String, bytes body: [UInt8]?, headers: [String: String]) async throws -> Page
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        TestTrace.step("\(method) \(path)")
        let response = try await client.execute(request, timeout: .seconds(30))
        TestTrace.step("\(method) \(path): \(response.status.code), reading the body")
        let bytes = try await response.body.collect(upTo: 10 * 1024 * 1024)
        TestTrace.step("\(method) \(path): read")
        let page = Page(
            status: response.status, headers: response.headers, body: String(buffer: bytes), bytes: Array(buffer: bytes)
        )
        for (name, cookie) in page.headers.setCookie?.all ?? [:] {
            cookies[name] =
                cookie.expires.map { $0 > Date() } ?? (cookie.maxAge.map { $0 > 0 } ?? true) ? cookie.string : nil
        }
        return page
    }
}
