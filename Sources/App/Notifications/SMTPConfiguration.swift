import Foundation

/// Where and how to deliver email: `CAREBOX_SMTP_URL`.
///
/// `smtp://[user:password@]host:port[?starttls=required|optional|off]` speaks plain SMTP and upgrades with STARTTLS
/// (by default when the server offers it); `smtps://[user:password@]host:port` starts with TLS (port 465, usually).
/// User and password are percent-decoded, so `%40` is an `@` in either.
public struct SMTPConfiguration: Equatable, Sendable {
    public enum Security: String, Equatable, Sendable {
        /// TLS from the first byte (`smtps://`).
        case implicitTLS
        /// STARTTLS, and no message unless the server offers it.
        case startTLSRequired
        /// STARTTLS when the server offers it; plain otherwise. Once started, TLS must succeed.
        case startTLSOptional
        /// Never TLS.
        case plain
    }

    public struct Credentials: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        public var user: String
        public var password: String

        /// Logs and test failures show the user, never the password.
        public var description: String { "\(user):<password>" }
        public var debugDescription: String { description }
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var credentials: Credentials?

    public init(host: String, port: Int, security: Security, credentials: Credentials? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
    }

    /// Parses `CAREBOX_SMTP_URL`. The error names what is wrong and never repeats the password.
    public init(url text: String) throws(SMTPConfigurationError) {
        func problem(_ text: String) -> SMTPConfigurationError { SMTPConfigurationError(problem: text) }
        guard !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }),
            let components = URLComponents(string: text)
        else { throw problem("CAREBOX_SMTP_URL is not a URL (smtp://[user:password@]host:port)") }
        let implicitTLS: Bool
        switch components.scheme?.lowercased() {
        case "smtp": implicitTLS = false
        case "smtps": implicitTLS = true
        default: throw problem("CAREBOX_SMTP_URL must start with smtp:// or smtps://")
        }
        guard let host = components.host, !host.isEmpty else { throw problem("CAREBOX_SMTP_URL has no host") }
        guard let port = components.port else { throw problem("CAREBOX_SMTP_URL has no port (host:port)") }
        guard (1...65535).contains(port) else { throw problem("CAREBOX_SMTP_URL's port must be 1 to 65535") }
        guard components.percentEncodedPath.isEmpty || components.percentEncodedPath == "/" else {
            throw problem("CAREBOX_SMTP_URL has a path; only ?starttls= may follow host:port")
        }
        guard components.fragment == nil else { throw problem("CAREBOX_SMTP_URL has a #fragment") }

        var startTLS: String?
        for item in components.queryItems ?? [] {
            guard item.name == "starttls", startTLS == nil else {
                throw problem("CAREBOX_SMTP_URL's only query parameter is starttls, once")
            }
            startTLS = item.value ?? ""
        }
        if implicitTLS {
            guard startTLS == nil else { throw problem("CAREBOX_SMTP_URL: smtps:// is TLS already; drop ?starttls=") }
            security = .implicitTLS
        } else {
            switch startTLS ?? "optional" {
            case "required": security = .startTLSRequired
            case "optional": security = .startTLSOptional
            case "off": security = .plain
            default: throw problem("CAREBOX_SMTP_URL's starttls must be required, optional or off")
            }
        }

        switch (components.user, components.password) {
        case (nil, nil): credentials = nil
        case (let user?, let password?) where !user.isEmpty:
            credentials = Credentials(user: user, password: password)
        default: throw problem("CAREBOX_SMTP_URL must give both user and password (user:password@), or neither")
        }
        // IPv6 addresses come bracketed from URLComponents.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
    }

    /// The configuration `CAREBOX_SMTP_URL` names, or nil when it is unset or empty: no email.
    public static func fromEnvironment(_ value: String?) throws(SMTPConfigurationError) -> SMTPConfiguration? {
        guard let value, !value.isEmpty else { return nil }
        return try SMTPConfiguration(url: value)
    }
}

/// `CAREBOX_SMTP_URL` is set and wrong.
public struct SMTPConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let problem: String
    public var description: String { problem }
}
