import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where clamd listens: `CAREBOX_CLAMD`, as `HOST:PORT`, `[IPv6]:PORT` or the path of its Unix socket.
public enum ClamdAddress: Equatable, Sendable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unixSocket(path: String)

    static let expected =
        "CAREBOX_CLAMD must be HOST:PORT, [IPv6 address]:PORT or the path of clamd's Unix socket (starting with /)"

    init(parsing text: String) throws(VirusScannerConfigurationError) {
        let problem = VirusScannerConfigurationError(problem: Self.expected)
        if text.hasPrefix("/") {
            // Also refuses a path longer than a socket address holds (about 100 bytes).
            guard !text.contains("\0"), (try? SocketAddress(unixDomainSocketPath: text)) != nil else { throw problem }
            self = .unixSocket(path: text)
            return
        }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw problem
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":"), (try? SocketAddress(ipAddress: String(host), port: 0)) != nil else {
                throw problem
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw problem }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            // A bare IPv6 address is ambiguous ("::1:3310"), and anything else is not a host name.
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
            else { throw problem }
        }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port),
            (1...65535).contains(number)
        else { throw problem }
        self = .tcp(host: String(host), port: number)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unixSocket(let path): path
        }
    }
}

/// Scans with clamd over its INSTREAM protocol, on a new connection per scan: `zINSTREAM\0`, then the content as
/// chunks of at most 64 KiB, each behind its length as 4 bytes big-endian, then a chunk of length 0; clamd answers
/// `stream: OK\0` or `stream: NAME FOUND\0`.
///
/// Nothing waits without bound: connecting takes at most `connectTimeout`, and each wait on clamd, for it to take a
/// chunk or to answer once the content is complete, at most `timeout`. Time spent by the caller's `content` producing
/// chunks (a slow upload) is not counted; clamd's own `ReadTimeout` bounds it on its side.
///
/// Nothing is logged; what is sent is only the content, never a file name.
struct ClamdScanner: VirusScanner {
    static let chunkSize = 64 * 1024
    /// Longer than any verdict; a longer answer is not from clamd.
    static let maxReplyBytes = 4096

    let address: ClamdAddress
    var connectTimeout: TimeAmount = .seconds(2)
    var timeout: TimeAmount = .seconds(30)
    var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    init(address: ClamdAddress) {
        self.address = address
    }

    /// The scanner `CAREBOX_CLAMD` names, or nil when it is unset or empty: no scanning.
    static func fromEnvironment(_ value: String?) throws(VirusScannerConfigurationError) -> ClamdScanner? {
        guard let value, !value.isEmpty else { return nil }
        return ClamdScanner(address: try ClamdAddress(parsing: value))
    }

    func scan(_ content: (_ send: (ByteBuffer) async -> Void) async throws -> Void) async throws -> ScanVerdict {
        let connection: Connection
        do {
            connection = try await connect()
        } catch {
            try await content { _ in }
            throw VirusScannerError.unavailable(.unreachable)
        }
        let reply: Result<ScanVerdict, VirusScannerError> = try await connection.channel.executeThenClose {
            inbound, outbound in
            // The first failure; after it, chunks are discarded and only clamd's reason is still looked for.
            var failure: VirusScannerError.Reason?
            func write(_ buffers: [ByteBuffer]) async {
                guard failure == nil else { return }
                do {
                    try await connection.guarded { try await outbound.write(contentsOf: buffers) }
                } catch {
                    failure = connection.timedOut ? .timedOut : .connectionLost
                }
            }

            await write([ByteBuffer(bytes: Array("zINSTREAM\0".utf8))])
            try await content { chunk in
                var rest = chunk
                while failure == nil, let piece = rest.readSlice(length: min(rest.readableBytes, Self.chunkSize)),
                    piece.readableBytes > 0
                {
                    await write([Self.lengthPrefix(piece.readableBytes), piece])
                }
            }
            await write([Self.lengthPrefix(0)])

            let text: String?
            do {
                text = try await connection.guarded { try await Self.readReply(inbound) }
            } catch {
                text = nil
            }
            // After a failed write only clamd's own refusal is believed: anything else is about part of the content.
            if let text, failure == nil || text == Self.sizeLimitReply {
                return Result { () throws(VirusScannerError) in try Self.verdict(fromReply: text) }
            }
            return .failure(.unavailable(failure ?? (connection.timedOut ? .timedOut : .connectionLost)))
        }
        try Task.checkCancellation()
        return try reply.get()
    }

    /// Asks clamd whether it is there: `zPING\0`, answered by `PONG\0`. Throws `VirusScannerError.unavailable`.
    func ping() async throws {
        let connection: Connection
        do {
            connection = try await connect()
        } catch {
            throw VirusScannerError.unavailable(.unreachable)
        }
        let reply = try await connection.channel.executeThenClose { inbound, outbound in
            try? await connection.guarded {
                try await outbound.write(ByteBuffer(bytes: Array("zPING\0".utf8)))
                return try await Self.readReply(inbound)
            }
        }
        guard reply == "PONG" else {
            throw VirusScannerError.unavailable(
                reply != nil ? .unexpectedReply : connection.timedOut ? .timedOut : .connectionLost)
        }
    }

    static let sizeLimitReply = "INSTREAM size limit exceeded. ERROR"

    /// A reply to INSTREAM, without its NUL.
    static func verdict(fromReply reply: String) throws(VirusScannerError) -> ScanVerdict {
        if reply == "stream: OK" { return .clean }
        if reply.hasPrefix("stream: "), reply.hasSuffix(" FOUND") {
            let name = reply.dropFirst("stream: ".count).dropLast(" FOUND".count)
            if !name.isEmpty, !name.contains("\n") { return .infected(signature: String(name)) }
        }
        throw .unavailable(reply == sizeLimitReply ? .sizeLimitExceeded : .unexpectedReply)
    }

    private static func lengthPrefix(_ length: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(length), endianness: .big)
        return buffer
    }

    /// The text up to the first NUL; nil if the connection ends first or it is too long to be clamd's.
    private static func readReply(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async throws -> String? {
        var reply: [UInt8] = []
        for try await buffer in inbound {
            reply += buffer.readableBytesView
            if let end = reply.firstIndex(of: 0) { return String(decoding: reply[..<end], as: UTF8.self) }
            if reply.count > maxReplyBytes { return nil }
        }
        return nil
    }

    private func connect() async throws -> Connection {
        let bootstrap = ClientBootstrap(group: eventLoopGroup).connectTimeout(connectTimeout)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let channel =
            switch address {
            case .tcp(let host, let port):
                try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
            case .unixSocket(let path):
                try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
            }
        return Connection(channel: channel, timeout: timeout)
    }

    /// One connection to clamd, and a watchdog that closes it when a wait on clamd lasts longer than `timeout`:
    /// closing ends whatever write or read is waiting.
    private struct Connection: Sendable {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let timeout: TimeAmount
        private let fired = NIOLockedValueBox(false)

        init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, timeout: TimeAmount) {
            self.channel = channel
            self.timeout = timeout
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
