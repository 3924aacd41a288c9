import Foundation
import SQLKit

/// Activation codes (docs/accounts.md): an administrator issues one for a patient record that has no account yet; the
/// patient signs up with it and their date of birth. A code is 10 characters from an alphabet without look-alikes,
/// works once, for 30 days, and only its hash is kept. Issuing a code voids the patient's earlier ones, and five wrong
/// dates of birth void it.
enum ActivationCodes {
    static let lifetime: TimeInterval = 30 * 86_400
    static let allowedFailures = 5
    enum Delivery: String, Codable, Sendable, CaseIterable {
        /// Shown to the administrator once, to print or read out.
        case print
        /// Emailed to the patient's address; no one else sees it.
        case email
    }

    /// Issues a code for `patient`, in the caller's transaction, voiding any earlier one not yet used. To print: answers
    /// the code. To email: writes the email into the outbox, and the code is made when it is sent (`emailed`).
    static func issue(
        for patient: UUID, organization: UUID, by issuer: UUID, delivery: Delivery, at now: Date,
        on sql: any SQLDatabase
    ) async throws -> (code: String?, expiresAt: Date) {
        try await sql.raw(
            """
            UPDATE activation_codes SET voided_at = \(bind: now) \
            WHERE patient_id = \(bind: patient) AND used_at IS NULL AND voided_at IS NULL
            """
        ).run()
        let code = delivery == .print ? PrintableCode.generate() : nil
        var notification: UUID?
        if delivery == .email {
            notification = UUID()
            try await sql.raw(
                """
                INSERT INTO notifications (id, organization_id, user_id, kind, status, created_at, due_at, attempts) \
                VALUES (\(bind: notification), \(bind: organization), \(bind: patient), \
                \(bind: NotificationKind.activationCode.rawValue), \(bind: NotificationStatus.pending.rawValue), \
                \(bind: now), \(bind: now), 0)
                """
            ).run()
        }
        let expiresAt = now.addingTimeInterval(lifetime)
        try await sql.raw(
            """
            INSERT INTO activation_codes (id, organization_id, patient_id, code_hash, notification_id, issued_by_id, \
            issued_at, expires_at, failed_attempts) VALUES (\(bind: UUID()), \(bind: organization), \(bind: patient), \
            \(bind: code.map(PrintableCode.hash)), \(bind: notification), \(bind: issuer), \(bind: now), \(bind: expiresAt), 0)
            """
        ).run()
        return (code, expiresAt)
    }

    /// An emailed code, made when its email is sent: usable while unused, not voided and in time.
    static let emailed = EmailedSecret(table: "activation_codes", hashColumn: "code_hash") {
        "used_at IS NULL AND voided_at IS NULL AND expires_at > \(bind: $0)"
    }

    struct Usable {
        let id: UUID
        let patientID: UUID
        let organizationID: UUID
        let birthDate: String?
    }

    /// The code's record while it can be used: unused, not voided, in time, for an active patient who has no
    /// username yet.
    static func usable(_ entry: String, at now: Date, on sql: any SQLDatabase) async throws -> Usable? {
        let code = PrintableCode.normalize(entry)
        guard code.count == PrintableCode.length else { return nil }
        guard
            let row = try await sql.raw(
                """
                SELECT activation_codes.id, activation_codes.patient_id, activation_codes.organization_id, \
                users.birth_date FROM activation_codes JOIN users ON users.id = activation_codes.patient_id \
                WHERE activation_codes.code_hash = \(bind: PrintableCode.hash(code)) AND \(emailed.stillOpen(now)) \
                AND users.deactivated_at IS NULL AND users.username IS NULL
                """
            ).first()
        else { return nil }
        return Usable(
            id: try row.decode(column: "id", as: UUID.self),
            patientID: try row.decode(column: "patient_id", as: UUID.self),
            organizationID: try row.decode(column: "organization_id", as: UUID.self),
            birthDate: try row.decode(column: "birth_date", as: String?.self))
    }

    /// A wrong date of birth with a right code: the fifth voids it, so a code found on paper cannot be tried against
    /// every birthday.
    static func recordFailure(of code: UUID, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE activation_codes SET failed_attempts = failed_attempts + 1, \
            voided_at = CASE WHEN failed_attempts + 1 >= \(literal: allowedFailures) THEN \(bind: now) ELSE voided_at END \
            WHERE id = \(bind: code)
            """
        ).run()
    }

    /// Uses the code, in the caller's transaction: of two uses at once only one finds it unused.
    static func use(_ code: UUID, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        !(try await sql.raw(
            """
            UPDATE activation_codes SET used_at = \(bind: now) WHERE id = \(bind: code) \
            AND \(emailed.stillOpen(now)) RETURNING id
            """
        ).all()).isEmpty
    }
}
