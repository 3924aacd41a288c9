import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing
import Vapor

@testable import App

/// One `GET /events` over real HTTP, read as a browser's EventSource would: every event it sends is kept, with the
/// raw text, so tests can wait for an event or make sure one never came.
final class EventStreamReader: Sendable {
    struct Event: Sendable, Equatable {
        let name: String
        let data: String
    }

    private struct State {
        var events: [Event] = []
        var text = ""
        var ended = false
    }

    let status: HTTPResponseStatus
    private let state = NIOLockedValueBox(State())
    private let reading = NIOLockedValueBox<Task<Void, Never>?>(nil)

    private init(status: HTTPResponseStatus) {
        self.status = status
    }

    /// The two ways in to `/events`: the main port, and the lean listener of `CAREBOX_EVENTS_ADDRESS`.
    enum Way: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case mainPort
        case listener

        var testDescription: String { rawValue }

        /// Sets up what the way needs: the listener on a free port, started as `serve` starts it.
        func prepare(_ app: Application) async throws {
            guard self == .listener else { return }
            app.useLiveStreamListener(at: ListenAddress(host: "127.0.0.1", port: 0))
            try await app.asyncBoot()
        }

        func port(of app: Application) -> Int {
            switch self {
            case .mainPort: app.http.server.shared.localAddress?.port ?? 0
            case .listener: app.liveStreamListener?.boundPort ?? 0
            }
        }
    }

    /// Opens `path` on `app`'s running server with the browser's cookies.
    static func open(
        _ app: Application, _ browser: TestBrowser, _ path: String = "/events", through way: Way = .mainPort,
        headers: [String: String] = [:]
    ) async throws -> EventStreamReader {
        let port = way.port(of: app)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let cookies = browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let reader = EventStreamReader(status: response.status)
        let task = Task {
            var pending = ""
            do {
                for try await chunk in response.body {
                    let text = String(buffer: chunk)
                    pending += text
                    reader.state.withLockedValue { $0.text += text }
                    while let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        if let event = Self.parse(block) { reader.state.withLockedValue { $0.events.append(event) } }
                    }
                }
            } catch {}
            reader.state.withLockedValue { $0.ended = true }
        }
        reader.reading.withLockedValue { $0 = task }
        return reader
    }

    private static func parse(_ block: String) -> Event? {
        var name = "message"
        var data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
        }
        return data.isEmpty ? nil : Event(name: name, data: data.joined(separator: "\n"))
    }

    var events: [Event] { state.withLockedValue { $0.events } }
    /// Everything received, heartbeats included.
    var text: String { state.withLockedValue { $0.text } }
    /// Whether the server has ended the response.
    var ended: Bool { state.withLockedValue { $0.ended } }

    /// Waits for the first event named `name` after the first `skipping` of them. The default wait is long, and costs
    /// nothing when the event comes: it only bounds a test whose event never does (a loaded machine has stalled a whole
    /// test run for 27 s at its start). How fast events arrive is the browser tests' and the bench's business.
    func next(_ name: String, after skipping: Int = 0, within timeout: Duration = .seconds(60)) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = events.filter { $0.name == name }
            if found.count > skipping { return found[skipping] }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw StreamTimeout(name: name, received: events)
    }

    /// Waits until the server ends the response.
    func waitForEnd(within timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !ended && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if !ended { throw StreamTimeout(name: "end of stream", received: events) }
    }

    /// Closes the connection, as a tab being closed does.
    func close() async {
        let task = reading.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    struct StreamTimeout: Error, CustomStringConvertible {
        let name: String
        let received: [Event]
        var description: String { "no \(name) arrived; received \(received)" }
    }
}

extension EventStreamReader.Event {
    /// The number in `{"unread":N}`.
    var unread: Int? {
        (try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])?["unread"] as? Int
    }
}
