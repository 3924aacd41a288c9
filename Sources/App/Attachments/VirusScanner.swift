import NIOCore

/// What a virus scan found.
enum ScanVerdict: Equatable, Sendable {
    case clean
    /// The scanner's name for what it found, such as `Win.Test.EICAR_HDB-1`. Safe to log: it names no file.
    case infected(signature: String)
}

/// The scanner gave no verdict. Whether the attachment is then refused or let through is the caller's choice
/// (`ScanFailurePolicy`, from `CAREBOX_CLAMD_FAIL`).
enum VirusScannerError: Error, Equatable, CustomStringConvertible {
    case unavailable(Reason)

    enum Reason: String, Sendable {
        /// No connection within the connect timeout, or refused.
        case unreachable
        /// Connected, but the scanner did not take the content or answer in time.
        case timedOut
        /// The connection ended before a whole answer.
        case connectionLost
        /// The content is longer than the scanner accepts (clamd's `StreamMaxLength`).
        case sizeLimitExceeded
        /// An answer that is not a verdict: an error from the scanner, or not a scanner at all.
        case unexpectedReply
    }

    var description: String {
        switch self {
        case .unavailable(let reason): "The virus scanner is unavailable (\(reason.rawValue))"
        }
    }
}

/// Scans attachment content before it is accepted.
///
/// The content is handed over by a closure rather than as a value so that an upload can be scanned while it streams:
/// the upload loop calls `send` for each chunk beside writing it to the encrypted blob, and the file is neither held
/// whole nor read twice:
///
///     let verdict = try await scanner.scan { send in
///         for try await chunk in body {
///             try writer.write(chunk.readableBytesView)
///             await send(chunk)
///         }
///     }
///
/// Content that is already whole goes through the overloads below (`[ByteBuffer]`, bytes, an `AsyncSequence`).
///
/// The contract, for every implementation:
/// - `content` is called exactly once and always runs to its end, even when the scanner cannot be reached or fails
///   part-way (`send` then discards), so the caller's own work is complete whatever the scanner does.
/// - An error thrown by `content` is rethrown as it is; the scan is abandoned.
/// - Chunks may have any size, empty ones included.
/// - Otherwise the result is a verdict, or `VirusScannerError.unavailable` once `content` has returned.
protocol VirusScanner: Sendable {
    func scan(_ content: (_ send: (ByteBuffer) async -> Void) async throws -> Void) async throws -> ScanVerdict
}

extension VirusScanner {
    func scan(_ chunks: some Sequence<ByteBuffer>) async throws -> ScanVerdict {
        try await scan { send in
            for chunk in chunks { await send(chunk) }
        }
    }

    func scan(bytes: some Collection<UInt8>) async throws -> ScanVerdict {
        try await scan([ByteBuffer(bytes: bytes)])
    }

    func scan<Chunks: AsyncSequence>(_ chunks: Chunks) async throws -> ScanVerdict where Chunks.Element == ByteBuffer {
        try await scan { send in
            for try await chunk in chunks { await send(chunk) }
        }
    }
}

/// What to do with an attachment when the scanner gives no verdict: `CAREBOX_CLAMD_FAIL`, `closed` unless set.
public enum ScanFailurePolicy: String, Sendable {
    /// Refuse the attachment.
    case closed
    /// Accept it unscanned.
    case open

    static func fromEnvironment(_ value: String?) throws(VirusScannerConfigurationError) -> ScanFailurePolicy {
        guard let value, !value.isEmpty else { return .closed }
        guard let policy = ScanFailurePolicy(rawValue: value.lowercased()) else {
            throw VirusScannerConfigurationError(
                problem: "CAREBOX_CLAMD_FAIL must be closed (refuse attachments the scanner cannot check) or open")
        }
        return policy
    }
}

/// A setting for the scanner that cannot be used. `problem` names the variable and never repeats its value.
struct VirusScannerConfigurationError: Error, Equatable, CustomStringConvertible {
    let problem: String
    var description: String { problem }
}
