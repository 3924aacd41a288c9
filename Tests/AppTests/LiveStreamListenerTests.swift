import Foundation
import NIOCore
import NIOPosix
import Testing
import Vapor

@testable import App

/// The lean listener for `/events` (`CAREBOX_EVENTS_ADDRESS`) as a client meets it over TCP. What a stream says, and
/// to whom, is `LiveUpdatesTests`', which runs each of its tests through both ways in.
@Suite struct LiveStreamListenerTests {
    @Test func anythingButAStreamIsAnsweredWholeAndTheConnectionCloses() async throws {
        try await withDemoAPI { demo in
            try await EventStreamReader.Way.listener.prepare(demo.app)
            let port = EventStreamReader.Way.listener.port(of: demo.app)

            let other = try await Self.exchange(port, "GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(other.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            #expect(other.contains("Connection: close\r\n"))
            let post = try await Self.exchange(port, "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            #expect(post.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            // Not signed in: the application's own answer, the same as on the main port.
            let anonymous = try await Self.exchange(port, "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(anonymous.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
            #expect(anonymous.contains("Content-Security-Policy: default-src 'self'"))
            #expect(anonymous.contains("Content-Length: "))
            // Not HTTP at all: closed without an answer, and the listener goes on.
            #expect(try await Self.exchange(port, "\u{1}\u{2}garbage\r\n\r\n").isEmpty)

            try await demo.browser.signIn("alex")
            let stream = try await EventStreamReader.open(demo.app, demo.browser, through: .listener)
            #expect(stream.status == .ok)
            _ = try await stream.next("unread")
            await stream.close()
        }
    }

    @Test func aConnectionThatNeverFinishesItsRequestIsClosed() async throws {
        try await withDemoAPI { demo in
            demo.app.useLiveStreamListener(at: ListenAddress(host: "127.0.0.1", port: 0), headTimeout: .seconds(1))
            try await demo.app.asyncBoot()
            let port = try #require(demo.app.liveStreamListener?.boundPort)
            // Half a request line, then nothing: the server closes it rather than hold it for ever.
            #expect(try await Self.exchange(port, "GET /ev").isEmpty)
        }
    }

    /// Sends `request` on a new connection and reads until the server closes it.
    static func exchange(_ port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var answer = ""
            for try await chunk in inbound { answer += String(buffer: chunk) }
            return answer
        }
    }
}
