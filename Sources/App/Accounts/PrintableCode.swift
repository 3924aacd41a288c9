import Foundation

/// A code a person reads from paper or a screen and types: activation codes and recovery codes. 10 characters from an
/// alphabet without look-alikes (no 0/O or 1/I), 32 letters, so 50 bits; only its hash is kept.
enum PrintableCode {
    static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    static let length = 10

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// In two groups of five, as it is printed: `ABCDE-FGHJK`.
    static func display(_ code: String) -> String {
        code.count == length ? "\(code.prefix(5))-\(code.suffix(5))" : code
    }

    /// What was typed, without spaces or dashes and in capitals.
    static func normalize(_ entry: String) -> String {
        String(entry.uppercased().filter { $0.isLetter || $0.isNumber })
    }

    static func hash(_ code: String) -> String { SessionStore.hash(normalize(code)) }
}
