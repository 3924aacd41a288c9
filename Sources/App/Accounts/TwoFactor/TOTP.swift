import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238, the codes authenticator apps show): HMAC-SHA1, 30-second steps, six
/// digits, as every authenticator app expects by default.
struct TOTP {
    static let stepSeconds: Int64 = 30
    static let digits = 6
    /// Codes of the step before and after the current one are accepted too: a phone's clock may be a little off, and
    /// a code typed at the end of its 30 seconds arrives in the next.
    static let tolerance: Int64 = 1

    let secret: [UInt8]

    static func step(at date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) / stepSeconds }

    /// The code for one time step (RFC 4226's HOTP of the step number).
    func code(forStep step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let truncated =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        let number = truncated % 1_000_000
        let text = String(number)
        return String(repeating: "0", count: Self.digits - text.count) + text
    }

    /// The step whose code `entry` is, within the tolerance around `date`, or nil. Compares every candidate in full, so
    /// the time taken does not depend on which one matched.
    func matchingStep(_ entry: String, at date: Date) -> Int64? {
        let now = Self.step(at: date)
        var found: Int64?
        for step in (now - Self.tolerance)...(now + Self.tolerance) {
            if CSRFMiddleware.constantTimeEquals(code(forStep: step), entry) { found = step }
        }
        return found
    }

    /// The `otpauth://` address the QR code carries, which authenticator apps read.
    static func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        var components = URLComponents()
        components.scheme = "otpauth"
        components.host = "totp"
        components.path = "/" + issuer + ":" + account
        // SHA-1, six digits and 30 seconds are every app's defaults, so they are left out: a shorter address makes a
        // smaller QR code, quicker to scan.
        components.queryItems = [
            URLQueryItem(name: "secret", value: Base32.encode(secret)), URLQueryItem(name: "issuer", value: issuer),
        ]
        return components.string ?? ""
    }
}

/// RFC 4648 base32 without padding: how authenticator apps take a secret typed by hand.
enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func encode(_ bytes: [UInt8]) -> String {
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }

    /// Nil for a character outside the alphabet; spaces, dashes and `=` are skipped, lower case is read as upper.
    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in text.uppercased() where !" -=".contains(character) {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = ((buffer << 5) | value) & 0xffff
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return output
    }

    /// In groups of four, easier to type into an app: `ABCD EFGH …`.
    static func grouped(_ text: String) -> String {
        stride(from: 0, to: text.count, by: 4).map { start in
            let from = text.index(text.startIndex, offsetBy: start)
            return String(text[from..<(text.index(from, offsetBy: 4, limitedBy: text.endIndex) ?? text.endIndex)])
        }.joined(separator: " ")
    }
}
