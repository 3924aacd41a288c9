/// Why a message was not delivered, and whether trying again later may succeed.
///
/// It carries the SMTP reply code and the step that failed, never the server's reply text nor anything of the
/// message: a reply may echo addresses or content, and errors end up in logs and on the administrator's pages.
public struct SMTPError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Equatable, Sendable {
        /// No connection: refused, unreachable, or the host name did not resolve.
        case unreachable
        /// Connecting, or waiting for a reply, took longer than its timeout.
        case timedOut
        /// The server closed or reset the connection before the message was accepted.
        case connectionLost
        /// The server answered with a 4xx or 5xx reply.
        case rejected
        /// A reply that is not SMTP, or longer than any real server's.
        case unexpectedReply
        /// `starttls=required`, and the server does not offer STARTTLS.
        case startTLSNotOffered
        /// The TLS handshake failed: no common protocol, or a certificate that is not trusted for the host.
        case tlsFailed
        /// Credentials are configured, and the server offers neither AUTH PLAIN nor AUTH LOGIN, or only without TLS
        /// on a connection that leaves this machine.
        case authenticationUnavailable
        /// The message itself cannot be sent: a header value with a line break, an address that is not one.
        case invalidMessage
    }

    /// The SMTP steps, as the error names them.
    public enum Step: String, Equatable, Sendable {
        case connect, greeting, ehlo, helo, startTLS, auth, mailFrom, rcptTo, data, content, quit, message
    }

    public let reason: Reason
    public let step: Step
    /// The server's three-digit reply code, for `.rejected` (and for an unexpected reply that had one).
    public let replyCode: Int?

    public init(_ reason: Reason, at step: Step, replyCode: Int? = nil) {
        self.reason = reason
        self.step = step
        self.replyCode = replyCode
    }

    /// Transient failures are worth retrying later: the network, the server being busy (4xx), a timeout, and the
    /// server's TLS or AUTH set-up, which its administrator may fix. Permanent ones are not: a 5xx reply (an unknown
    /// recipient, notably) and a message that cannot be sent.
    public var isTransient: Bool {
        switch reason {
        case .rejected: (replyCode ?? 500) < 500
        case .invalidMessage: false
        default: true
        }
    }

    public var isPermanent: Bool { !isTransient }

    public var description: String {
        let code = replyCode.map { " \($0)" } ?? ""
        return "SMTP \(isTransient ? "transient" : "permanent") failure at \(step.rawValue): \(reason.rawValue)\(code)"
    }
}
