import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import App

/// The SMTP client. URL parsing, message formatting and error classes always; delivery against a real SMTP server
/// when `CAREBOX_TEST_SMTP` names one (`eval "$(scripts/smtp-server start)"`), reading what arrived in
/// `CAREBOX_TEST_SMTP_DIR`.
@Suite struct SMTPClientTests {
    static let environment = ProcessInfo.processInfo.environment
    static let serverIsRunning =
        !(environment["CAREBOX_TEST_SMTP"] ?? "").isEmpty && !(environment["CAREBOX_TEST_SMTP_DIR"] ?? "").isEmpty
    static let skipped = Comment(rawValue: "needs CAREBOX_TEST_SMTP: eval \"$(scripts/smtp-server start)\"")

    static let sender = try! SMTPAddress("noreply@riverbend.example", displayName: "Riverbend Clinic")

    // MARK: CAREBOX_SMTP_URL

    @Test func urlsNameHostPortTLSModeAndCredentials() throws {
        #expect(
            try SMTPConfiguration(url: "smtp://mail.example.org:587")
                == SMTPConfiguration(host: "mail.example.org", port: 587, security: .startTLSOptional))
        #expect(try SMTPConfiguration(url: "smtp://h:25?starttls=required").security == .startTLSRequired)
        #expect(try SMTPConfiguration(url: "smtp://h:25?starttls=optional").security == .startTLSOptional)
        #expect(try SMTPConfiguration(url: "smtp://h:25/?starttls=off").security == .plain)
        #expect(try SMTPConfiguration(url: "SMTPS://h:465").security == .implicitTLS)
        #expect(try SMTPConfiguration(url: "smtp://[::1]:2525").host == "::1")
        let withCredentials = try SMTPConfiguration(url: "smtps://carebox%40clinic:p%3Ass%2Fw@mail.example.org:465")
        #expect(withCredentials.credentials == .init(user: "carebox@clinic", password: "p:ss/w"))
        #expect(!"\(withCredentials)".contains("p:ss/w"))
        #expect(try SMTPConfiguration.fromEnvironment(nil) == nil)
        #expect(try SMTPConfiguration.fromEnvironment("") == nil)
    }

    @Test(arguments: [
        ("http://h:25", "must start with smtp:// or smtps://"),
        ("mail.example.org:25", "must start with smtp:// or smtps://"),
        ("smtp://:25", "has no host"),
        ("smtp://h", "has no port"),
        ("smtp://h:0", "port must be 1 to 65535"),
        ("smtp://h:25/inbox", "has a path"),
        ("smtp://h:25?starttls=yes", "starttls must be required, optional or off"),
        ("smtp://h:25?tls=on", "only query parameter is starttls"),
        ("smtp://h:25?starttls=off&starttls=required", "only query parameter is starttls"),
        ("smtps://h:465?starttls=required", "smtps:// is TLS already"),
        ("smtp://user@h:25", "both user and password"),
        ("smtp://:secret@h:25", "both user and password"),
        ("smtp://h :25", "is not a URL"),
    ])
    func anythingElseIsRefusedNamingWhatIsWrong(_ url: String, _ problem: String) {
        let error = #expect(throws: SMTPConfigurationError.self) { try SMTPConfiguration(url: url) }
        #expect(error?.problem.contains(problem) == true)
    }

    // MARK: Messages

    @Test(arguments: ["Hello\r\nBcc: x@evil.example", "Hello\nBcc: x@evil.example", "Hello\rX", "Tab\u{0}", "\u{85}"])
    func headerValuesWithLineBreaksOrControlsAreRefused(_ value: String) throws {
        let to = try SMTPAddress("alex@example.org")
        #expect(throws: SMTPError(.invalidMessage, at: .message)) {
            try SMTPMessage(from: Self.sender, to: to, subject: value, body: "")
        }
        #expect(throws: SMTPError(.invalidMessage, at: .message)) {
            try SMTPAddress("alex@example.org", displayName: value)
        }
    }

    @Test(arguments: [
        "alex@example.org\r\nRCPT TO:<x@evil.example>", "alex@example.org>", "<alex@example.org>", "alex",
        "alex@@example.org", "@example.org", "alex@", "al ex@example.org", "a,b@example.org", "alex@example..org",
        "älex@example.org",
    ])
    func addressesThatAreNotPlainAreRefused(_ address: String) {
        #expect(throws: SMTPError(.invalidMessage, at: .message)) { try SMTPAddress(address) }
    }

    @Test func aMessageHasItsHeadersAndCRLFLines() throws {
        let message = try SMTPMessage(
            from: Self.sender, to: try SMTPAddress("alex@example.org"), subject: "New message",
            body: "Hello\nSign in to read it.\r\nBye")
        let text = String(
            decoding: message.formatted(date: Date(timeIntervalSince1970: 1_796_111_626), messageID: "id@riverbend"),
            as: UTF8.self)
        #expect(
            text == """
                Date: Tue, 01 Dec 2026 07:53:46 +0000\r
                From: "Riverbend Clinic" <noreply@riverbend.example>\r
                To: alex@example.org\r
                Subject: New message\r
                Message-ID: <id@riverbend>\r
                MIME-Version: 1.0\r
                Content-Type: text/plain; charset=utf-8\r
                Content-Transfer-Encoding: 7bit\r
                \r
                Hello\r
                Sign in to read it.\r
                Bye\r

                """)
    }

    @Test func nonASCIIIsEncodedWordsInHeadersAndQuotedPrintableInTheBody() throws {
        let subject = "Nouveau message de la clinique — Zürich ✉️ " + String(repeating: "é", count: 40)
        let message = try SMTPMessage(
            from: try SMTPAddress("noreply@riverbend.example", displayName: "Clinique Saint-Éloi"),
            to: try SMTPAddress("alex@example.org"), subject: subject,
            body: "Bonjour Zoé,\n" + String(repeating: "é", count: 100))
        let (headers, body) = Self.split(message.formatted(date: Date(), messageID: "x@y"))
        #expect(headers["subject"].map(Self.decodeEncodedWords) == subject)
        #expect(headers["from"] == "=?UTF-8?B?Q2xpbmlxdWUgU2FpbnQtw4lsb2k=?= <noreply@riverbend.example>")
        #expect(headers["content-transfer-encoding"] == "quoted-printable")
        #expect(body.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 76 && $0.allSatisfy(\.isASCII) })
        #expect(Self.decodeBody(headers, body) == "Bonjour Zoé,\r\n" + String(repeating: "é", count: 100) + "\r\n")
    }

    @Test func anASCIISubjectThatLooksEncodedIsEncoded() throws {
        let message = try SMTPMessage(
            from: Self.sender, to: try SMTPAddress("alex@example.org"), subject: "=?UTF-8?B?SGk=?=", body: "")
        let (headers, _) = Self.split(message.formatted(date: Date(), messageID: "x@y"))
        #expect(headers["subject"] != "=?UTF-8?B?SGk=?=")
        #expect(headers["subject"].map(Self.decodeEncodedWords) == "=?UTF-8?B?SGk=?=")
    }

    @Test func linesStartingWithADotAreDotStuffedAndTheEndIsADotLine() {
        let stuffed = SMTPMessage.dotStuffed(Array(".one\r\ntwo\r\n.\r\n..three\r\n".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..one\r\ntwo\r\n..\r\n...three\r\n.\r\n")
    }

    @Test func quotedPrintableRoundTripsAndKeepsLinesShort() {
        let text = "a=b \tend \r\n" + String(repeating: "x", count: 200) + "\r\n" + "ünïcödé\u{0}\r\n"
        let encoded = QuotedPrintable.encode(Array(text.utf8))
        #expect(String(decoding: encoded, as: UTF8.self).split(separator: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(String(decoding: QuotedPrintable.decode(encoded), as: UTF8.self) == text)
    }

    // MARK: Failures

    @Test func fourHundredsAndTheNetworkAreTransientFiveHundredsPermanent() {
        #expect(SMTPError(.rejected, at: .rcptTo, replyCode: 451).isTransient)
        #expect(SMTPError(.rejected, at: .rcptTo, replyCode: 550).isPermanent)
        #expect(SMTPError(.rejected, at: .greeting, replyCode: 554).isPermanent)
        for reason in [SMTPError.Reason.unreachable, .timedOut, .connectionLost, .startTLSNotOffered, .tlsFailed] {
            #expect(SMTPError(reason, at: .connect).isTransient)
        }
        #expect(SMTPError(.invalidMessage, at: .message).isPermanent)
        #expect(
            "\(SMTPError(.rejected, at: .rcptTo, replyCode: 550))" == "SMTP permanent failure at rcptTo: rejected 550")
    }

    @Test func credentialsGoWithoutTLSOnlyToThisMachine() {
        func client(_ host: String) -> SMTPClient {
            SMTPClient(configuration: .init(host: host, port: 25, security: .plain))
        }
        #expect(client("127.0.0.1").serverIsLoopback)
        #expect(client("127.0.0.53").serverIsLoopback)
        #expect(client("::1").serverIsLoopback)
        #expect(client("LocalHost").serverIsLoopback)
        #expect(!client("10.0.0.1").serverIsLoopback)
        #expect(!client("mail.example.org").serverIsLoopback)
        #expect(!client("127.0.0.1.example.org").serverIsLoopback)
    }

    @Test func anEHLONameWithALineBreakIsRefusedBeforeConnecting() async throws {
        var client = SMTPClient(
            configuration: .init(host: "127.0.0.1", port: try await Self.closedPort(), security: .plain))
        client.clientName = "localhost\r\nRCPT TO:<x@evil.example>"
        await #expect(throws: SMTPError(.invalidMessage, at: .ehlo)) {
            try await client.send(Self.message(to: "a@example.org"))
        }
    }

    @Test func aClosedPortIsTransient() async throws {
        let port = try await Self.closedPort()
        let client = SMTPClient(configuration: .init(host: "127.0.0.1", port: port, security: .plain))
        await #expect(throws: SMTPError(.unreachable, at: .connect)) {
            try await client.send(Self.message(to: "a@example.org"))
        }
    }

    // MARK: Against the real server

    @Test(.enabled(if: serverIsRunning, skipped)) func aMessageArrivesWithItsHeadersAndBody() async throws {
        let id = try await Self.client().send(
            Self.message(to: "alex@example.org", subject: "New message", body: "Hello Alex"))
        let (headers, body, envelope) = try Self.received(id)
        #expect(headers["from"] == "\"Riverbend Clinic\" <noreply@riverbend.example>")
        #expect(headers["to"] == "alex@example.org")
        #expect(headers["subject"] == "New message")
        #expect(headers["mime-version"] == "1.0")
        #expect(headers["content-type"] == "text/plain; charset=utf-8")
        #expect(headers["date"]?.hasSuffix("+0000") == true)
        #expect(body == "Hello Alex\r\n")
        #expect(envelope["mail_from"] as? String == "noreply@riverbend.example")
        #expect(envelope["rcpt_tos"] as? [String] == ["alex@example.org"])
        #expect(envelope["tls"] as? Bool == false)
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func linesStartingWithADotArriveIntact() async throws {
        let text = ".\r\n.hidden\r\n..two\r\nend.\r\n."
        let id = try await Self.client().send(Self.message(to: "alex@example.org", body: text))
        let (_, body, _) = try Self.received(id)
        #expect(body == text + "\r\n")
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func nonASCIISubjectAndBodyArriveIntact() async throws {
        let subject = "Nouveau message — clinique de Zürich ✉️ " + String(repeating: "ø", count: 30)
        let text = "Bonjour Zoé,\r\nunė žinutė\r\n" + String(repeating: "€", count: 60)
        let id = try await Self.client().send(Self.message(to: "zoe@example.org", subject: subject, body: text))
        let (headers, body, _) = try Self.received(id)
        #expect(headers["subject"].map(Self.decodeEncodedWords) == subject)
        #expect(body == text + "\r\n")
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func fiveFiftyToRCPTIsPermanent() async throws {
        await #expect(throws: SMTPError(.rejected, at: .rcptTo, replyCode: 550)) {
            try await Self.client().send(Self.message(to: "nobody@rejected.invalid"))
        }
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func fourFiftyOneToRCPTIsTransient() async throws {
        await #expect(throws: SMTPError(.rejected, at: .rcptTo, replyCode: 451)) {
            try await Self.client().send(Self.message(to: "busy@transient.invalid"))
        }
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func aReplyThatDoesNotComeTimesOut() async throws {
        var client = try Self.client()
        // Long enough for every other reply on a loaded machine (a whole test run has stalled for 27 s at its start),
        // shorter than the minute the server stays silent to RCPT.
        client.replyTimeout = .seconds(40)
        await #expect(throws: SMTPError(.timedOut, at: .rcptTo)) {
            try await client.send(Self.message(to: "late@slow.invalid"))
        }
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func credentialsAreSentWithAuthPlain() async throws {
        let id = try await Self.client(credentials: .init(user: "carebox", password: "carebox-test"))
            .send(Self.message(to: "alex@example.org"))
        #expect(try Self.received(id).envelope["authenticated"] as? Bool == true)
        await #expect(throws: SMTPError(.rejected, at: .auth, replyCode: 535)) {
            try await Self.client(credentials: .init(user: "carebox", password: "wrong"))
                .send(Self.message(to: "alex@example.org"))
        }
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func startTLSIsUsedWhenOfferedThenAuthLogin() async throws {
        let id = try await Self.client(
            "CAREBOX_TEST_SMTP_STARTTLS", security: .startTLSRequired,
            credentials: .init(user: "carebox", password: "carebox-test")
        ).send(Self.message(to: "alex@example.org", body: "Over TLS"))
        let (_, body, envelope) = try Self.received(id)
        #expect(body == "Over TLS\r\n")
        #expect(envelope["tls"] as? Bool == true)
        #expect(envelope["authenticated"] as? Bool == true)
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func implicitTLSDelivers() async throws {
        let id = try await Self.client(
            "CAREBOX_TEST_SMTPS", security: .implicitTLS, credentials: .init(user: "carebox", password: "carebox-test")
        ).send(Self.message(to: "alex@example.org"))
        #expect(try Self.received(id).envelope["tls"] as? Bool == true)
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func startTLSRequiredAndNotOfferedSendsNothing() async throws {
        await #expect(throws: SMTPError(.startTLSNotOffered, at: .startTLS)) {
            try await Self.client(security: .startTLSRequired).send(Self.message(to: "alex@example.org"))
        }
    }

    @Test(.enabled(if: serverIsRunning, skipped)) func anUntrustedCertificateFailsAndNeverFallsBackToPlain()
        async throws
    {
        var client = try Self.client("CAREBOX_TEST_SMTP_STARTTLS", security: .startTLSOptional)
        client.tlsConfiguration = .makeClientConfiguration()
        await #expect(throws: SMTPError(.tlsFailed, at: .ehlo)) {
            try await client.send(Self.message(to: "alex@example.org"))
        }
        var implicit = try Self.client("CAREBOX_TEST_SMTPS", security: .implicitTLS)
        implicit.tlsConfiguration = .makeClientConfiguration()
        await #expect(throws: SMTPError(.tlsFailed, at: .greeting)) {
            try await implicit.send(Self.message(to: "alex@example.org"))
        }
    }

    // MARK: Helpers

    static func message(to address: String, subject: String = "New message", body: String = "Sign in to read it.")
        throws -> SMTPMessage
    {
        try SMTPMessage(from: sender, to: try SMTPAddress(address), subject: subject, body: body)
    }

    /// A client for the listener `variable` names, trusting the script's certificate.
    static func client(
        _ variable: String = "CAREBOX_TEST_SMTP", security: SMTPConfiguration.Security = .startTLSOptional,
        credentials: SMTPConfiguration.Credentials? = nil
    ) throws -> SMTPClient {
        let value = try #require(environment[variable])
        let colon = try #require(value.lastIndex(of: ":"))
        var client = SMTPClient(
            configuration: .init(
                host: String(value[..<colon]), port: try #require(Int(value[value.index(after: colon)...])),
                security: security, credentials: credentials))
        client.replyTimeout = .seconds(60)
        if let ca = environment["CAREBOX_TEST_SMTP_CA"] {
            client.tlsConfiguration.trustRoots = .file(ca)
        }
        return client
    }

    /// The message with Message-ID `id` as the server wrote it: headers (names lowercased, unfolded), the body
    /// decoded as text, and the envelope the server recorded.
    static func received(_ id: String) throws -> (headers: [String: String], body: String, envelope: [String: Any]) {
        let folder = URL(fileURLWithPath: try #require(environment["CAREBOX_TEST_SMTP_DIR"]))
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        where file.pathExtension == "eml" {
            let bytes = Array(try Data(contentsOf: file))
            let (headers, body) = split(bytes)
            guard headers["message-id"] == "<\(id)>" else { continue }
            let envelope = try JSONSerialization.jsonObject(
                with: Data(contentsOf: file.deletingPathExtension().appendingPathExtension("json")))
            return (headers, decodeBody(headers, body), try #require(envelope as? [String: Any]))
        }
        Issue.record("No message with Message-ID <\(id)> in \(folder.path)")
        throw CancellationError()
    }

    static func split(_ bytes: [UInt8]) -> (headers: [String: String], body: String) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        var headers: [String: String] = [:]
        for line in parts[0].replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return (headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func decodeBody(_ headers: [String: String], _ body: String) -> String {
        guard headers["content-transfer-encoding"] == "quoted-printable" else { return body }
        return String(decoding: QuotedPrintable.decode(Array(body.utf8)), as: UTF8.self)
    }

    /// RFC 2047 `=?UTF-8?B?…?=` words, space-separated, as text.
    static func decodeEncodedWords(_ value: String) -> String {
        guard value.hasPrefix("=?") else { return value }
        var bytes: [UInt8] = []
        for word in value.split(separator: " ") {
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
                let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
            else { return value }
            bytes += data
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A port nothing listens on: bound, then closed.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }
}
