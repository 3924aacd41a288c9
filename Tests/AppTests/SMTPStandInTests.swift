import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import App

/// The SMTP client against a scripted stand-in server: replies no real server gives on demand (multi-line ones
/// everywhere, HELO-only servers, garbage, a connection closed mid-way, bytes injected after STARTTLS's 220).
@Suite struct SMTPStandInTests {
    static let message = try! SMTPMessage(
        from: try SMTPAddress("noreply@riverbend.example"), to: try SMTPAddress("alex@example.org"),
        subject: "New message", body: ".Sign in\r\nto read it.")

    @Test func multiLineRepliesAreReadWholeAndTheConversationIsInOrder() async throws {
        let server = try await StandInSMTPServer.start([
            "220-stand-in ESMTP\r\n220-more greeting\r\n220 ready",
            "250-stand-in\r\n250-8BITMIME\r\n250-SIZE 1000000\r\n250 HELP",
            "250-2.1.0 sender\r\n250 2.1.0 OK", "250 2.1.5 OK", "354 go ahead", "250 2.0.0 queued", "221 bye",
        ])
        defer { server.stop() }
        try await server.client().send(Self.message)
        let received = server.received.withLockedValue { $0 }
        #expect(
            received.commands == [
                "EHLO localhost", "MAIL FROM:<noreply@riverbend.example>", "RCPT TO:<alex@example.org>", "DATA",
                "QUIT",
            ])
        #expect(received.content.contains("\r\n\r\n..Sign in\r\nto read it.\r\n.\r\n"))
    }

    @Test func aServerThatDoesNotKnowEHLOGetsHELO() async throws {
        let server = try await StandInSMTPServer.start([
            "220 old", "502 5.5.1 unknown command", "250 hello", "250 OK", "250 OK", "354 go", "250 OK", "221 bye",
        ])
        defer { server.stop() }
        try await server.client().send(Self.message)
        #expect(server.received.withLockedValue { $0.commands.prefix(2) } == ["EHLO localhost", "HELO localhost"])
    }

    @Test func aFailedQUITAfterTheMessageWasAcceptedIsSuccess() async throws {
        let server = try await StandInSMTPServer.start([
            "220 hi", "250 hi", "250 OK", "250 OK", "354 go", "250 queued", nil,
        ])
        defer { server.stop() }
        try await server.client().send(Self.message)
    }

    @Test(
        arguments: [
            (["220 hi", nil], SMTPError(.connectionLost, at: .ehlo)),
            (["421 4.3.2 shutting down"], SMTPError(.rejected, at: .greeting, replyCode: 421)),
            (["554 go away"], SMTPError(.rejected, at: .greeting, replyCode: 554)),
            (["hello there"], SMTPError(.unexpectedReply, at: .greeting)),
            (["220-hi\r\n250 mixed"], SMTPError(.unexpectedReply, at: .greeting, replyCode: 220)),
            (["220 hi", "250 hi", "452 4.3.1 full"], SMTPError(.rejected, at: .mailFrom, replyCode: 452)),
            (["220 hi", "250 hi", "250 OK", "550 5.1.1 unknown"], SMTPError(.rejected, at: .rcptTo, replyCode: 550)),
            (
                ["220 hi", "250 hi", "250 OK", "250 OK", "354 go", "552 5.3.4 too big"],
                SMTPError(.rejected, at: .content, replyCode: 552)
            ),
            (["220 hi", "250 hi", "250 OK", "250 OK", "354 go", nil], SMTPError(.connectionLost, at: .content)),
        ] as [([String?], SMTPError)])
    func failuresNameTheirStepAndCode(_ script: [String?], _ expected: SMTPError) async throws {
        let server = try await StandInSMTPServer.start(script)
        defer { server.stop() }
        await #expect(throws: expected) { try await server.client().send(Self.message) }
        #expect(expected.isTransient == (expected.replyCode.map { $0 < 500 } ?? true))
    }

    @Test func bytesAfterTheSTARTTLSReplyAreRefusedNotTakenAsSaidOverTLS() async throws {
        let server = try await StandInSMTPServer.start([
            "220 hi", "250-hi\r\n250 STARTTLS", "220 go ahead\r\n250-injected\r\n250 AUTH PLAIN",
        ])
        defer { server.stop() }
        await #expect(throws: SMTPError(.unexpectedReply, at: .startTLS)) {
            try await server.client(security: .startTLSRequired).send(Self.message)
        }
    }

    @Test func aLineLongerThanAnyReplyIsRefused() async throws {
        let server = try await StandInSMTPServer.start(["220 " + String(repeating: "x", count: 5000)])
        defer { server.stop() }
        await #expect(throws: SMTPError(.unexpectedReply, at: .greeting)) {
            try await server.client().send(Self.message)
        }
    }
}

/// A stand-in SMTP server on 127.0.0.1 that answers from a script: the greeting first, then one entry per command
/// line (and one for the content after DATA); nil closes the connection. It keeps the commands and the content.
struct StandInSMTPServer {
    struct Received: Sendable {
        var commands: [String] = []
        var content = ""
    }

    let channel: any Channel
    let received: NIOLockedValueBox<Received>

    func client(security: SMTPConfiguration.Security = .startTLSOptional) -> SMTPClient {
        var client = SMTPClient(
            configuration: .init(host: "127.0.0.1", port: channel.localAddress!.port!, security: security))
        // No test here waits for a timeout (each script replies or closes), so a long one: a loaded machine has
        // stalled a whole test run for 27 s at its start.
        client.replyTimeout = .seconds(120)
        return client
    }

    static func start(_ script: [String?]) async throws -> StandInSMTPServer {
        let received = NIOLockedValueBox(Received())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(script: script, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return StandInSMTPServer(channel: channel, received: received)
    }

    func stop() {
        channel.close(promise: nil)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        var script: [String?]
        let received: NIOLockedValueBox<Received>
        var pending: [UInt8] = []
        var inData = false

        init(script: [String?], received: NIOLockedValueBox<Received>) {
            self.script = script
            self.received = received
        }

        func channelActive(context: ChannelHandlerContext) {
            answer(context: context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            while true {
                if inData {
                    let end = Array("\r\n.\r\n".utf8)
                    guard let range = pending.firstRange(of: end) else { return }
                    let content = String(decoding: pending[..<range.upperBound], as: UTF8.self)
                    received.withLockedValue { $0.content = content }
                    pending.removeSubrange(..<range.upperBound)
                    inData = false
                } else {
                    guard let lineEnd = pending.firstRange(of: [13, 10]) else { return }
                    let command = String(decoding: pending[..<lineEnd.lowerBound], as: UTF8.self)
                    received.withLockedValue { $0.commands.append(command) }
                    pending.removeSubrange(..<lineEnd.upperBound)
                    if command == "DATA", script.first??.hasPrefix("354") == true { inData = true }
                }
                answer(context: context)
            }
        }

        private func answer(context: ChannelHandlerContext) {
            guard !script.isEmpty else { return }
            guard let reply = script.removeFirst() else {
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
        }
    }
}
