import Foundation
import Vapor

/// NIST SP 800-63B's rules for a password a person chooses: at least 12 characters, not absurdly long, not their
/// username, and not one of the passwords most often found in breaches. No rules about which kinds of characters it
/// must mix, and no expiry: those make people choose worse passwords, not better ones.
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
        let folded = password.lowercased()
        if common.contains(folded) || folded == username.lowercased() {
            return "That password is too easy to guess: it is one of the most common passwords, or your username. "
                + "Try a few unrelated words together."
        }
        return nil
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
