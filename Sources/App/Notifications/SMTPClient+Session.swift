import Foundation
import NIOCore
import NIOSSL

extension SMTPClient {
    /// One server reply: its code and the text of each line (after `250-` or `250 `).
    struct Reply: Equatable {
        let code: Int
        let lines: [String]
    }

    /// One SMTP conversation, step by step; it remembers the step it is at, so that a failure names it.
    final class Session {
        /// Longer than any real reply line (RFC 5321 allows 512 bytes), and more lines than any EHLO reply.
        static let maxLineBytes = 2048
        static let maxLines = 100

        let client: SMTPClient
        let connection: Connection
        private(set) var step = SMTPError.Step.greeting
        private(set) var tlsStarted: Bool
        private var received: [UInt8] = []
        /// Bytes read since STARTTLS; nil before it, or with implicit TLS, where every byte came through TLS.
        private var bytesSinceTLS: Int?

        init(client: SMTPClient, connection: Connection) {
            self.client = client
            self.connection = connection
            self.tlsStarted = client.configuration.security == .implicitTLS
        }

        func run(
            message: SMTPMessage, content: [UInt8], inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
            outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        ) async throws {
            var replies = inbound.makeAsyncIterator()
            /// Sends `bytes` (nothing for the greeting) and reads the reply, which must have one of `codes`.
            func exchange(_ bytes: ByteBuffer?, at step: SMTPError.Step, expecting codes: Set<Int>) async throws
                -> Reply
            {
                self.step = step
                let reply = try await connection.guarded {
                    if let bytes { try await outbound.write(bytes) }
                    return try await self.readReply(&replies)
                }
                guard codes.contains(reply.code) else {
                    let rejected = (400..<600).contains(reply.code)
                    throw SMTPError(rejected ? .rejected : .unexpectedReply, at: step, replyCode: reply.code)
                }
                return reply
            }
            func exchange(_ line: String, at step: SMTPError.Step, expecting codes: Set<Int>) async throws -> Reply {
                try await exchange(ByteBuffer(string: line + "\r\n"), at: step, expecting: codes)
            }
            /// The server's extensions (`STARTTLS`, `AUTH PLAIN LOGIN`, …), uppercased; none from a HELO-only server.
            func hello() async throws -> Set<String> {
                // 500 or 502: a server from before ESMTP.
                let reply = try await exchange("EHLO \(client.clientName)", at: .ehlo, expecting: [250, 500, 502])
                if reply.code == 250 { return Set(reply.lines.dropFirst().map { $0.uppercased() }) }
                _ = try await exchange("HELO \(client.clientName)", at: .helo, expecting: [250])
                return []
            }

            _ = try await exchange(nil as ByteBuffer?, at: .greeting, expecting: [220])
            var extensions = try await hello()

            let security = client.configuration.security
            if security == .startTLSRequired || security == .startTLSOptional {
                if extensions.contains("STARTTLS") {
                    _ = try await exchange("STARTTLS", at: .startTLS, expecting: [220])
                    // Anything the server sent after its 220 came in clear, and would be taken as said over TLS.
                    guard received.isEmpty else { throw SMTPError(.unexpectedReply, at: .startTLS) }
                    try await startTLS()
                    extensions = try await hello()
                } else if security == .startTLSRequired {
                    throw SMTPError(.startTLSNotOffered, at: .startTLS)
                }
            }

            if let credentials = client.configuration.credentials {
                step = .auth
                guard tlsStarted || client.serverIsLoopback else {
                    throw SMTPError(.authenticationUnavailable, at: .auth)
                }
                let mechanisms = Set(
                    extensions.filter { $0.hasPrefix("AUTH ") || $0.hasPrefix("AUTH=") }
                        .flatMap { $0.dropFirst(5).split(separator: " ").map(String.init) })
                func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
                if mechanisms.contains("PLAIN") {
                    let token = base64("\0\(credentials.user)\0\(credentials.password)")
                    _ = try await exchange("AUTH PLAIN \(token)", at: .auth, expecting: [235])
                } else if mechanisms.contains("LOGIN") {
                    _ = try await exchange("AUTH LOGIN", at: .auth, expecting: [334])
                    _ = try await exchange(base64(credentials.user), at: .auth, expecting: [334])
                    _ = try await exchange(base64(credentials.password), at: .auth, expecting: [235])
                } else {
                    throw SMTPError(.authenticationUnavailable, at: .auth)
                }
            }

            _ = try await exchange("MAIL FROM:<\(message.from.address)>", at: .mailFrom, expecting: [250])
            _ = try await exchange("RCPT TO:<\(message.to.address)>", at: .rcptTo, expecting: [250, 251])
            _ = try await exchange("DATA", at: .data, expecting: [354])
            _ = try await exchange(ByteBuffer(bytes: content), at: .content, expecting: [250])
            // Delivered: a failed QUIT changes nothing.
            step = .quit
            _ = try? await exchange("QUIT", at: .quit, expecting: [221])
        }

        /// The error to report for what `run` threw.
        func failure(for error: any Error) -> SMTPError {
            // A timeout closes the connection, and the wait it ended may report that as the connection lost.
            if connection.timedOut { return SMTPError(.timedOut, at: step) }
            if let error = error as? SMTPError { return error }
            if tlsStarted, connection.tls.withLockedValue({ $0.failed }) || Self.isTLSError(error) {
                return SMTPError(.tlsFailed, at: step)
            }
            return SMTPError(.connectionLost, at: step)
        }

        static func isTLSError(_ error: any Error) -> Bool {
            if case NIOSSLError.uncleanShutdown = error { return false }
            return error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
        }

        /// Puts TLS in front of the connection, after the server's 220 to STARTTLS.
        private func startTLS() async throws {
            let context = try NIOSSLContext(configuration: client.tlsConfiguration)
            let serverHostname = client.serverHostname
            let channel = connection.channel.channel
            let tls = connection.tls
            tlsStarted = true
            bytesSinceTLS = 0
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                try channel.pipeline.syncOperations.addHandler(TLSMonitor(tls), position: .after(handler))
            }.get()
        }

        /// Reads one reply, of one line (`250 OK`) or several (`250-…` lines, then `250 …`), all with the same code.
        func readReply(_ replies: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> Reply {
            var code: Int?
            var lines: [String] = []
            while true {
                let line = try await readLine(&replies)
                let digits = line.prefix(3)
                guard digits.count == 3, digits.allSatisfy({ (48...57).contains($0) }),
                    line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-"),
                    let lineCode = Int(String(decoding: digits, as: UTF8.self)), code == nil || code == lineCode
                else { throw SMTPError(.unexpectedReply, at: step, replyCode: code) }
                code = lineCode
                lines.append(String(decoding: line.dropFirst(4), as: UTF8.self))
                if line.count == 3 || line[3] == UInt8(ascii: " ") { return Reply(code: lineCode, lines: lines) }
                guard lines.count < Self.maxLines else { throw SMTPError(.unexpectedReply, at: step, replyCode: code) }
            }
        }

        /// One line without its CRLF (or lone LF).
        private func readLine(_ replies: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws
            -> [UInt8]
        {
            while true {
                if let end = received.firstIndex(of: 10) {
                    guard end <= Self.maxLineBytes else { throw SMTPError(.unexpectedReply, at: step) }
                    var line = Array(received[..<end])
                    received.removeSubrange(...end)
                    if line.last == 13 { line.removeLast() }
                    return line
                }
                guard received.count <= Self.maxLineBytes else { throw SMTPError(.unexpectedReply, at: step) }
                guard let buffer = try await replies.next() else { throw SMTPError(.connectionLost, at: step) }
                if let bytes = bytesSinceTLS {
                    // More than came out of TLS: some came in clear, before the handshake.
                    bytesSinceTLS = bytes + buffer.readableBytes
                    guard bytes + buffer.readableBytes <= connection.tls.withLockedValue({ $0.decryptedBytes }) else {
                        throw SMTPError(.unexpectedReply, at: step)
                    }
                }
                received += buffer.readableBytesView
            }
        }
    }
}
