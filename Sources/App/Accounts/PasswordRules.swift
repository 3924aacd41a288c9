import Foundation
import Vapor

/// NIST SP 800-63B's rules for a password a person chooses: at least 12 characters, not absurdly long, and not one
/// that is easy to guess: a password most often found in breaches, the username or the service's name, or one of those
/// with digits and symbols added (`password1234`, `welcome2024!`), a run (`123456789012`, `abcdefghijkl`,
/// `qwertyuiopas`), or one short piece repeated (`aaaaaaaaaaaa`, `abcabcabcabc`). No rules about which kinds of
/// characters it must mix, and no expiry: those make people choose worse passwords, not better ones.
struct PasswordRules: Sendable {
    static let minimumLength = 12
    static let maximumLength = 200

    /// The 10,000 most common passwords (`Resources/Passwords/common-passwords.txt`, from zxcvbn's list), lowercased.
    let common: Set<String>

    init(common: some Sequence<String>) {
        self.common = Set(common.map { $0.lowercased() })
    }

    static func load(resourcesDirectory: String) throws -> PasswordRules {
        let file = URL(fileURLWithPath: resourcesDirectory).appendingPathComponent("Passwords/common-passwords.txt")
        let text = try String(contentsOf: file, encoding: .utf8)
        return PasswordRules(common: text.split(whereSeparator: \.isNewline).map(String.init))
    }

    /// Why `password` may not be chosen by `username`, in words for the form; nil when it may.
    func problem(with password: String, username: String) -> String? {
        if password.count < Self.minimumLength || password.count > Self.maximumLength {
            return "Choose a password of at least \(Self.minimumLength) characters (at most \(Self.maximumLength))."
        }
        if isGuessable(password.lowercased(), username: username.lowercased()) {
            return "That password is too easy to guess: it is a common password, your username, or a run or repeat of "
                + "characters, perhaps with numbers added. Try a few unrelated words together."
        }
        return nil
    }

    /// Keyboard rows and alphabets that people type in order, forwards or backwards.
    private static let runs = [
        "abcdefghijklmnopqrstuvwxyz", "01234567890123456789012345", "qwertyuiopasdfghjklzxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn",
    ]

    private func isGuessable(_ folded: String, username: String) -> Bool {
        // What is left once digits, symbols and spaces are taken off both ends: "password" of "password1234!".
        let core = String(folded.drop { !$0.isLetter }.reversed().drop { !$0.isLetter }.reversed())
        let context: Set<String> = [username, "carebox"]
        if common.contains(folded) || common.contains(core) || context.contains(folded) || context.contains(core) {
            return true
        }
        for run in Self.runs where run.contains(folded) || String(run.reversed()).contains(folded) { return true }
        return Self.isRepeat(folded)
    }

    /// Whether `text` is one piece of at most a third of its length, repeated.
    private static func isRepeat(_ text: String) -> Bool {
        let characters = Array(text)
        for length in 1...max(1, characters.count / 3) where characters.count % length == 0 {
            let piece = characters[0..<length]
            if stride(from: length, to: characters.count, by: length).allSatisfy({
                characters[$0..<$0 + length] == piece
            }) {
                return true
            }
        }
        return false
    }
}

extension Application {
    private struct PasswordRulesKey: StorageKey {
        typealias Value = PasswordRules
    }

    /// Loaded once at start-up (configure).
    var passwordRules: PasswordRules {
        get {
            guard let rules = storage[PasswordRulesKey.self] else { fatalError("configure(_:_:) has not run") }
            return rules
        }
        set { storage[PasswordRulesKey.self] = newValue }
    }
}
