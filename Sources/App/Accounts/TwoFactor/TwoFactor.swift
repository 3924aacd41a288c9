import Crypto
import Domain
import Foundation
import SQLKit

/// Two-step verification (docs/accounts.md): a code from an authenticator app (`TOTP`) after the password, or one of
/// ten single-use recovery codes. The secret is kept encrypted (`SecretSealer`); recovery codes only as hashes.
/// Every statement here runs in the caller's transaction.
enum TwoFactor {
    static let recoveryCodeCount = 10

    /// Whether the deployment requires it of someone with these roles: providers, staff and administrators, who read
    /// health records, under `CAREBOX_STAFF_TWO_FACTOR=required`.
    static func isRequired(for roles: Set<Role>, _ policy: AppConfig.StaffTwoFactor) -> Bool {
        policy == .required && roles.contains { $0 != .patient && $0 != .proxy }
    }

    /// A session's progress through it (`user_sessions.second_factor`).
    enum SessionStage: String {
        /// The password was enough: no second step is set up.
        case none
        /// The password was right; the code is still to come. The session signs no one in yet.
        case pending
        /// A code or a recovery code was accepted after the password.
        case passed
    }

    struct Status {
        let since: Date
        let recoveryCodesLeft: Int
    }

    /// Set up and confirmed, since when, and how many recovery codes are left; nil when not set up.
    static func status(of user: UUID, on sql: any SQLDatabase) async throws -> Status? {
        guard
            let row = try await sql.raw(
                """
                SELECT confirmed_at, (SELECT COUNT(*) FROM recovery_codes \
                WHERE recovery_codes.user_id = two_factor_secrets.user_id AND used_at IS NULL) AS codes_left \
                FROM two_factor_secrets WHERE user_id = \(bind: user) AND confirmed_at IS NOT NULL
                """
            ).first()
        else { return nil }
        return Status(
            since: try row.decode(column: "confirmed_at", as: Date.self),
            recoveryCodesLeft: try row.decode(column: "codes_left", as: Int.self))
    }

    /// Starts setting it up: a new secret, kept unconfirmed until a code from it is typed (`confirm`). Replaces an
    /// earlier unconfirmed one; nil when it is set up already.
    static func begin(for user: UUID, sealer: SecretSealer, at now: Date, on sql: any SQLDatabase) async throws
        -> [UInt8]?
    {
        let secret = [UInt8].random(count: 20)
        try await sql.raw("DELETE FROM two_factor_secrets WHERE user_id = \(bind: user) AND confirmed_at IS NULL")
            .run()
        let made = try await sql.raw(
            """
            INSERT INTO two_factor_secrets (id, user_id, secret_sealed, created_at) \
            VALUES (\(bind: UUID()), \(bind: user), \(bind: try sealer.seal(secret, for: user)), \(bind: now)) \
            ON CONFLICT (user_id) DO NOTHING RETURNING id
            """
        ).first()
        return made == nil ? nil : secret
    }

    /// The secret being set up (begun, not yet confirmed), to show again.
    static func unconfirmedSecret(of user: UUID, sealer: SecretSealer, on sql: any SQLDatabase) async throws
        -> [UInt8]?
    {
        try await sealedSecret(of: user, confirmed: false, on: sql).flatMap { try? sealer.open($0, for: user) }
    }

    /// Finishes setting it up when `code` is the secret's code now: marks it confirmed (the code is then used) and
    /// answers the ten recovery codes, to be shown once. Nil for a wrong code, or if nothing was begun.
    static func confirm(
        _ code: String, for user: UUID, sealer: SecretSealer, at now: Date, on sql: any SQLDatabase
    ) async throws -> [String]? {
        guard let secret = try await unconfirmedSecret(of: user, sealer: sealer, on: sql),
            let step = TOTP(secret: secret).matchingStep(digits(code), at: now),
            try await sql.raw(
                """
                UPDATE two_factor_secrets SET confirmed_at = \(bind: now), last_used_step = \(bind: step) \
                WHERE user_id = \(bind: user) AND confirmed_at IS NULL RETURNING id
                """
            ).first() != nil
        else { return nil }
        return try await replaceRecoveryCodes(of: user, on: sql)
    }

    enum Check: Equatable {
        case accepted(recoveryCodesLeft: Int?)
        /// Wrong, already used, or nothing set up: one answer for all.
        case refused
    }

    /// A code at sign-in: the authenticator's code for now (±1 step) that is newer than the last one accepted, or an
    /// unused recovery code. Either is used up by the one statement that accepts it, so of two sign-ins with the same
    /// code at once only one gets in.
    static func check(_ entry: String, for user: UUID, sealer: SecretSealer, at now: Date, on sql: any SQLDatabase)
        async throws -> Check
    {
        let typed = digits(entry)
        if typed.count == TOTP.digits, typed.allSatisfy(\.isNumber) {
            guard let sealed = try await sealedSecret(of: user, confirmed: true, on: sql),
                let secret = try? sealer.open(sealed, for: user),
                let step = TOTP(secret: secret).matchingStep(typed, at: now)
            else { return .refused }
            let used = try await sql.raw(
                """
                UPDATE two_factor_secrets SET last_used_step = \(bind: step) \
                WHERE user_id = \(bind: user) AND confirmed_at IS NOT NULL \
                AND (last_used_step IS NULL OR last_used_step < \(bind: step)) RETURNING id
                """
            ).first()
            return used == nil ? .refused : .accepted(recoveryCodesLeft: nil)
        }
        let code = PrintableCode.normalize(entry)
        guard code.count == PrintableCode.length,
            try await sql.raw(
                """
                UPDATE recovery_codes SET used_at = \(bind: now) \
                WHERE user_id = \(bind: user) AND code_hash = \(bind: PrintableCode.hash(code)) AND used_at IS NULL \
                AND EXISTS (SELECT 1 FROM two_factor_secrets WHERE two_factor_secrets.user_id = \(bind: user) \
                AND confirmed_at IS NOT NULL) RETURNING id
                """
            ).first() != nil
        else { return .refused }
        return .accepted(recoveryCodesLeft: try await status(of: user, on: sql)?.recoveryCodesLeft ?? 0)
    }

    /// Ten new recovery codes in place of the old ones, used or not; answers them, to be shown once.
    static func replaceRecoveryCodes(of user: UUID, on sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("DELETE FROM recovery_codes WHERE user_id = \(bind: user)").run()
        let codes = (0..<recoveryCodeCount).map { _ in PrintableCode.generate() }
        for code in codes {
            try await sql.raw(
                """
                INSERT INTO recovery_codes (id, user_id, code_hash) \
                VALUES (\(bind: UUID()), \(bind: user), \(bind: PrintableCode.hash(code)))
                """
            ).run()
        }
        return codes.map(PrintableCode.display)
    }

    /// Turns it off (by the person, or by an administrator's reset): the secret and the recovery codes go. Answers
    /// whether anything was set up.
    @discardableResult
    static func remove(for user: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("DELETE FROM recovery_codes WHERE user_id = \(bind: user)").run()
        return try await sql.raw(
            "DELETE FROM two_factor_secrets WHERE user_id = \(bind: user) AND confirmed_at IS NOT NULL RETURNING id"
        ).first() != nil
    }

    /// Marks a session as having passed the second step.
    static func pass(_ session: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE user_sessions SET second_factor = \(bind: SessionStage.passed.rawValue) WHERE id = \(bind: session)"
        ).run()
    }

    private static func sealedSecret(of user: UUID, confirmed: Bool, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw(
            """
            SELECT secret_sealed FROM two_factor_secrets WHERE user_id = \(bind: user) \
            AND confirmed_at IS \(unsafeRaw: confirmed ? "NOT NULL" : "NULL")
            """
        ).first()?.decode(column: "secret_sealed", as: String.self)
    }

    /// What was typed, without the spaces some apps show in the middle of a code.
    private static func digits(_ entry: String) -> String { entry.filter { !$0.isWhitespace } }
}

/// Encrypts authenticator secrets at rest with AES-256-GCM, under a key derived (HKDF-SHA256) from the attachment key
/// (`CAREBOX_ATTACHMENT_KEY`), so a copy of the database alone signs no one in. The user's id is the associated data:
/// a secret moved to another person's row does not open.
struct SecretSealer: Sendable {
    private let key: SymmetricKey

    init(attachmentKey: [UInt8]) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: attachmentKey), info: Data("carebox two-step verification".utf8),
            outputByteCount: 32)
    }

    func seal(_ secret: [UInt8], for user: UUID) throws -> String {
        guard let combined = try AES.GCM.seal(secret, using: key, authenticating: Self.associatedData(user)).combined
        else { throw SealingFailed() }
        return combined.base64EncodedString()
    }

    func open(_ sealed: String, for user: UUID) throws -> [UInt8] {
        guard let data = Data(base64Encoded: sealed) else { throw SealingFailed() }
        return Array(
            try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key, authenticating: Self.associatedData(user)))
    }

    private static func associatedData(_ user: UUID) -> Data { Data(user.uuidString.utf8) }

    struct SealingFailed: Error {}
}
