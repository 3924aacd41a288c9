import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Sends one plain-text email per call over SMTP (RFC 5321), on a new connection each time: EHLO (HELO when the
/// server does not know it), STARTTLS as `configuration.security` says, AUTH PLAIN or LOGIN when credentials are
/// configured, MAIL FROM, RCPT TO, DATA, QUIT. Commands are never pipelined: each waits for its reply.
///
/// Written on SwiftNIO because the package mirror has no Swift SMTP package; one message, one recipient, plain text is
/// all notifications need. Nothing waits without bound: connecting takes at most `connectTimeout`, and each reply (or
/// the write before it) at most `replyTimeout`. Failures are `SMTPError`s, transient or permanent; once the server
/// has accepted the message (250 after DATA), nothing that follows is a failure. (A connection lost after the content
/// and before that 250 is transient, and its retry may deliver twice: SMTP cannot tell.)
///
/// Credentials go only over TLS, or to a server on this machine (loopback), never in clear across a network.
public struct SMTPClient: Sendable {
    public var configuration: SMTPConfiguration
    public var connectTimeout: TimeAmount = .seconds(30)
    public var replyTimeout: TimeAmount = .seconds(30)
    /// The name given in EHLO: a host name or an address literal (`[192.0.2.1]`).
    public var clientName = "localhost"
    /// Whom to trust: the system's roots by default; tests trust their own certificate.
    public var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
    var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    var now: @Sendable () -> Date = { Date() }

    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    /// Sends `message` to its one recipient; returns once the server has accepted it, with the Message-ID it was
    /// given (without angle brackets).
    @discardableResult
    public func send(_ message: SMTPMessage) async throws(SMTPError) -> String {
        guard !clientName.isEmpty,
            clientName.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || "0123456789.-[]:".unicodeScalars.contains($0))
            })
        else { throw SMTPError(.invalidMessage, at: .ehlo) }
        let messageID = message.newMessageID()
        let content = SMTPMessage.dotStuffed(message.formatted(date: now(), messageID: messageID))
        let connection: Connection
        do {
            connection = try await connect()
        } catch {
            if case ChannelError.connectTimeout = error { throw SMTPError(.timedOut, at: .connect) }
            throw SMTPError(.unreachable, at: .connect)
        }
        let session = Session(client: self, connection: connection)
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                try await session.run(message: message, content: content, inbound: inbound, outbound: outbound)
            }
        } catch {
            throw session.failure(for: error)
        }
        return messageID
    }

    private func connect() async throws -> Connection {
        let tlsContext =
            try configuration.security == .implicitTLS ? NIOSSLContext(configuration: tlsConfiguration) : nil
        let serverHostname = serverHostname
        let tls = NIOLockedValueBox(TLSMonitor.State())
        let channel = try await ClientBootstrap(group: eventLoopGroup).connectTimeout(connectTimeout)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                        try channel.pipeline.syncOperations.addHandlers(handler, TLSMonitor(tls))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return Connection(channel: channel, timeout: replyTimeout, tls: tls)
    }

    /// The name TLS checks the certificate against; an IP address is checked as itself, and is not sent (SNI).
    var serverHostname: String? {
        (try? SocketAddress(ipAddress: configuration.host, port: 0)) == nil ? configuration.host : nil
    }

    /// `localhost` or a loopback address: the one place credentials may go without TLS.
    var serverIsLoopback: Bool {
        if configuration.host.lowercased() == "localhost" { return true }
        guard let address = (try? SocketAddress(ipAddress: configuration.host, port: 0))?.ipAddress else {
            return false
        }
        return address.hasPrefix("127.") || address == "::1"
    }

    /// One connection, and a watchdog that closes it when a wait on the server lasts longer than `timeout`: closing
    /// ends whatever write or read is waiting.
    struct Connection: Sendable {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let timeout: TimeAmount
        private let fired = NIOLockedValueBox(false)
        /// What `TLSMonitor` saw pass.
        let tls: NIOLockedValueBox<TLSMonitor.State>

        init(
            channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, timeout: TimeAmount,
            tls: NIOLockedValueBox<TLSMonitor.State> = NIOLockedValueBox(TLSMonitor.State())
        ) {
            self.channel = channel
            self.timeout = timeout
            self.tls = tls
        }

        var timedOut: Bool { fired.withLockedValue { $0 } }

        func guarded<T>(_ operation: () async throws -> T) async throws -> T {
            let channel = channel.channel
            let fired = fired
            let watchdog = channel.eventLoop.scheduleTask(in: timeout) {
                fired.withLockedValue { $0 = true }
                channel.close(promise: nil)
            }
            defer { watchdog.cancel() }
            return try await operation()
        }
    }
}

/// Sits right behind the TLS handler and notes what passes: a TLS error (a failed handshake, an untrusted
/// certificate), which may otherwise reach the conversation as a closed connection; and how many bytes came out of
/// TLS, so that bytes read after STARTTLS that did not (sent in clear before the handshake) are caught.
final class TLSMonitor: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    struct State: Sendable {
        var failed = false
        var decryptedBytes = 0
    }

    private let state: NIOLockedValueBox<State>

    init(_ state: NIOLockedValueBox<State>) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        state.withLockedValue { $0.decryptedBytes += bytes }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if SMTPClient.Session.isTLSError(error) { state.withLockedValue { $0.failed = true } }
        context.fireErrorCaught(error)
    }
}
