import Foundation

/// An email address, with an optional display name (`"Riverbend Clinic" <noreply@riverbend.example>`).
///
/// Only plain ASCII addresses (`local@domain`, without quoting, comments or spaces) are taken: they are what the
/// portal stores, and anything cleverer is a way to smuggle a second recipient or a header into the envelope.
public struct SMTPAddress: Equatable, Sendable {
    public let address: String
    public let displayName: String?

    public init(_ address: String, displayName: String? = nil) throws(SMTPError) {
        let refused = SMTPError(.invalidMessage, at: .message)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard address.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            address.unicodeScalars.allSatisfy({
                $0.value > 0x20 && $0.value < 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains($0)
            }),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains("..")
        else { throw refused }
        if let displayName { guard SMTPMessage.isSafeHeaderText(displayName) else { throw refused } }
        self.address = address
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    var domain: Substring { address[address.index(after: address.firstIndex(of: "@")!)...] }

    /// The address as a header value: a display name quoted, or RFC 2047-encoded when it is not plain ASCII.
    var headerValue: String {
        guard let displayName else { return address }
        if displayName.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !displayName.contains("=?") {
            let quoted = displayName.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(address)>"
        }
        return SMTPMessage.encodedWords(displayName).joined(separator: " ") + " <\(address)>"
    }
}

/// One plain-text email, as `SMTPClient` sends it: the headers are built here, never taken from the caller, and no
/// header value may hold a line break (a header injection); non-ASCII subjects and names are RFC 2047-encoded.
public struct SMTPMessage: Sendable {
    public let from: SMTPAddress
    public let to: SMTPAddress
    public let subject: String
    public let body: String

    public init(from: SMTPAddress, to: SMTPAddress, subject: String, body: String) throws(SMTPError) {
        guard Self.isSafeHeaderText(subject) else { throw SMTPError(.invalidMessage, at: .message) }
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }

    /// Text that may stand in a header: no line break and no other control character.
    static func isSafeHeaderText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !(0x80..<0xA0).contains($0.value) }
            && !text.unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" }
    }

    /// The message as it follows DATA, before dot-stuffing: headers, a blank line, the body; CRLF line endings.
    public func formatted(date: Date, messageID: String) -> [UInt8] {
        var body = Self.normalizedLines(Array(self.body.utf8))
        let transferEncoding: String
        if QuotedPrintable.isSevenBitSafe(body) {
            transferEncoding = "7bit"
        } else {
            transferEncoding = "quoted-printable"
            body = QuotedPrintable.encode(body)
        }
        let subject: String
        if self.subject.unicodeScalars.allSatisfy({ $0.value < 0x7F }), !self.subject.contains("=?"),
            self.subject.utf8.count <= 68
        {
            subject = self.subject
        } else {
            subject = Self.encodedWords(self.subject).joined(separator: "\r\n ")
        }
        let headers = [
            "Date: \(Self.dateHeader(date))",
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(subject)",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(transferEncoding)",
        ]
        return Array((headers.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    /// A new Message-ID (without its angle brackets), in the sender's domain.
    func newMessageID() -> String { "\(UUID().uuidString.lowercased())@\(from.domain)" }

    /// RFC 5322's date: `Tue, 01 Dec 2026 07:53:46 +0000`.
    static func dateHeader(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// RFC 2047 encoded words (`=?UTF-8?B?…?=`), each at most 75 characters, never splitting a character.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
            chunk = []
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            // 45 bytes make 60 base64 characters, and 60 + 12 of =?UTF-8?B??= make 72.
            if chunk.count + bytes.count > 45 { flush() }
            chunk += bytes
        }
        flush()
        return words.isEmpty ? ["=?UTF-8?B??="] : words
    }

    /// Every line break (CRLF, lone CR or lone LF) as CRLF, and a CRLF at the end.
    static func normalizedLines(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + bytes.count / 32 + 2)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                result += [13, 10]
                if byte == 13, index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
            } else {
                result.append(byte)
            }
            index += 1
        }
        if result.count < 2 || result.suffix(2) != [13, 10] { result += [13, 10] }
        return result
    }

    /// SMTP's transparency (RFC 5321 4.5.2): a line that starts with `.` gets a second one, and `.` CRLF ends it.
    static func dotStuffed(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 8)
        var atLineStart = true
        for byte in bytes {
            if atLineStart, byte == UInt8(ascii: ".") { result.append(byte) }
            result.append(byte)
            atLineStart = byte == 10
        }
        if !atLineStart { result += [13, 10] }
        return result + Array(".\r\n".utf8)
    }
}
