import Domain
import Foundation
import Vapor

/// Everything Carebox reads from its environment, read once at start-up. A bad or missing variable never stops
/// start-up alone: `load` gathers every problem so an operator can fix them all in one go.
public struct AppConfig: Sendable {
    public enum Storage: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    /// `serve` is production: it needs everything spelled out. `demo` fills in what a laptop run needs.
    public enum Profile: Sendable {
        case production
        case demo
    }

    public var storage: Storage
    /// The address users reach Carebox at. An https address makes cookies Secure.
    public var publicURL: URL
    public var sessionPolicy: SessionPolicy
    public var signInThrottle: SignInThrottle
    public var bcryptCost: Int
    public var logLevel: Logger.Level
    public var clock: any AppClock
    /// Where attachment blobs are kept.
    public var blobDirectory: String
    /// The AES-256 key attachments are encrypted with (32 bytes).
    public var attachmentKey: [UInt8]
    /// PostgreSQL connections per event loop (one event loop per core).
    public var postgresConnectionsPerLoop: Int
    /// Where clamd listens (`CAREBOX_CLAMD`); nil: attachments are not scanned.
    public var clamd: ClamdAddress? = nil
    /// What to do with an attachment when clamd gives no verdict (`CAREBOX_CLAMD_FAIL`).
    public var clamdFailure: ScanFailurePolicy = .closed
    /// Uploads one person may make in a minute, on one server.
    public var uploadsPerMinute = 60
    /// How long a request (other than an upload) may take before it is answered 503 and left behind.
    public var requestDeadlineSeconds: Int64 = 15
    /// The mail server notification emails go through (`CAREBOX_SMTP_URL`); nil: no email.
    public var smtp: SMTPConfiguration? = nil
    /// The From address of notification emails, unless the organisation sets its own (`CAREBOX_MAIL_FROM`).
    public var mailFrom = "carebox@localhost"
    /// How often the delivery worker looks for notifications to send; nil: it does not run (tests send by hand).
    public var notificationInterval: Duration? = .seconds(1)
    /// Whether providers, staff and administrators must sign in with two-step verification (`CAREBOX_STAFF_TWO_FACTOR`).
    public var staffTwoFactor: StaffTwoFactor = .required
    /// A second address serving only `GET /events`, leanly, for a reverse proxy to send streams to
    /// (`CAREBOX_EVENTS_ADDRESS`); nil: streams are served on the main port only.
    public var eventsAddress: ListenAddress? = nil

    public enum StaffTwoFactor: String, Sendable, CaseIterable {
        /// They set it up at their first sign-in, and nothing else is open to them until they have.
        case required
        /// Like patients, they may set it up. For trying Carebox out and for its tests; not for a clinic.
        case optional
    }

    public var secureCookies: Bool { publicURL.scheme == "https" }

    public init(
        storage: Storage, publicURL: URL, sessionPolicy: SessionPolicy = .standard,
        signInThrottle: SignInThrottle = .standard, bcryptCost: Int = 12, logLevel: Logger.Level = .info,
        clock: any AppClock = SystemClock(), blobDirectory: String = "carebox-blobs", attachmentKey: [UInt8],
        postgresConnectionsPerLoop: Int = 2
    ) {
        self.storage = storage
        self.publicURL = publicURL
        self.sessionPolicy = sessionPolicy
        self.signInThrottle = signInThrottle
        self.bcryptCost = bcryptCost
        self.logLevel = logLevel
        self.clock = clock
        self.blobDirectory = blobDirectory
        self.attachmentKey = attachmentKey
        self.postgresConnectionsPerLoop = postgresConnectionsPerLoop
    }
}

/// Every problem found in the environment, reported together.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let problems: [String]

    public var description: String {
        "Carebox cannot start. Fix these settings:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension AppConfig {
    /// Each variable, what it means, and its default. The README's configuration table is this list.
    public static func load(from env: [String: String], profile: Profile) throws(ConfigurationError) -> AppConfig {
        var problems: [String] = []

        let storage: Storage
        if let url = env["DATABASE_URL"], !url.isEmpty {
            let parsed = URLComponents(string: url)
            if let parsed, ["postgres", "postgresql"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false,
                parsed.path.count > 1
            {
                storage = .postgres(url: url)
            } else {
                problems.append(
                    "DATABASE_URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE (the value given is not shown)"
                )
                storage = .sqlite(path: "")
            }
        } else {
            let path = env["CAREBOX_SQLITE_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "carebox.sqlite"
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                problems.append("CAREBOX_SQLITE_PATH: the folder \(directory) does not exist")
            }
            storage = .sqlite(path: path)
        }

        var publicURL = URL(string: "http://127.0.0.1:8080")!
        switch (env["CAREBOX_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }, profile) {
        case (nil, .production):
            problems.append("CAREBOX_PUBLIC_URL is required: the https address users reach Carebox at")
        case (nil, .demo):
            break
        case (let text?, _):
            if let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil {
                publicURL = url
            } else {
                problems.append(
                    "CAREBOX_PUBLIC_URL must be an http or https address, such as https://portal.example.org")
            }
        }

        let idleMinutes = integer(env, "CAREBOX_SESSION_IDLE_MINUTES", default: 15, in: 1...720, &problems)
        let lifetimeHours = integer(env, "CAREBOX_SESSION_LIFETIME_HOURS", default: 12, in: 1...168, &problems)
        if idleMinutes > lifetimeHours * 60 {
            problems.append("CAREBOX_SESSION_IDLE_MINUTES must not be longer than CAREBOX_SESSION_LIFETIME_HOURS")
        }
        let bcryptCost = integer(env, "CAREBOX_BCRYPT_COST", default: 12, in: 10...16, &problems)
        let connections = integer(env, "CAREBOX_PG_CONNECTIONS_PER_CORE", default: 2, in: 1...64, &problems)

        var logLevel = Logger.Level.info
        if let text = env["CAREBOX_LOG_LEVEL"], !text.isEmpty {
            if let level = Logger.Level(rawValue: text.lowercased()) {
                logLevel = level
            } else {
                problems.append(
                    "CAREBOX_LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        let blobDirectory = env["CAREBOX_BLOB_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "carebox-blobs"
        var attachmentKey: [UInt8] = []
        switch (env["CAREBOX_ATTACHMENT_KEY"].flatMap { $0.isEmpty ? nil : $0 }, profile) {
        case (let text?, _):
            if let data = Data(base64Encoded: text), data.count == 32 {
                attachmentKey = [UInt8](data)
            } else {
                problems.append("CAREBOX_ATTACHMENT_KEY must be 32 random bytes in base64 (openssl rand -base64 32)")
            }
        case (nil, .production):
            problems.append(
                "CAREBOX_ATTACHMENT_KEY is required: attachments are encrypted with it (openssl rand -base64 32)")
        case (nil, .demo):
            // `demo` keeps a key of its own beside its database, made on first run.
            let keyPath: String =
                if case .sqlite(let path) = storage { path + ".attachment-key" } else { "carebox-demo.attachment-key" }
            do {
                attachmentKey = try DemoKey.loadOrCreate(at: keyPath)
            } catch {
                problems.append("The demo attachment key at \(keyPath) could not be read or created")
            }
        }

        var clamd: ClamdAddress?
        var clamdFailure = ScanFailurePolicy.closed
        do {
            if let text = env["CAREBOX_CLAMD"], !text.isEmpty { clamd = try ClamdAddress(parsing: text) }
            clamdFailure = try ScanFailurePolicy.fromEnvironment(env["CAREBOX_CLAMD_FAIL"])
        } catch {
            problems.append(error.problem)
        }

        let staffTwoFactor =
            env["CAREBOX_STAFF_TWO_FACTOR"].flatMap { $0.isEmpty ? nil : $0 }
            .map(StaffTwoFactor.init(rawValue:)) ?? .required
        if staffTwoFactor == nil { problems.append("CAREBOX_STAFF_TWO_FACTOR must be required or optional") }

        var smtp: SMTPConfiguration?
        do {
            smtp = try SMTPConfiguration.fromEnvironment(env["CAREBOX_SMTP_URL"])
        } catch {
            problems.append(error.problem)
        }
        var mailFrom = "carebox@localhost"
        switch (env["CAREBOX_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 }, profile, smtp) {
        case (let text?, _, _):
            if (try? SMTPAddress(text)) != nil {
                mailFrom = text
            } else {
                problems.append("CAREBOX_MAIL_FROM must be one email address, such as portal@example.org")
            }
        case (nil, .production, _?):
            problems.append("CAREBOX_MAIL_FROM is required with CAREBOX_SMTP_URL: the address notifications come from")
        case (nil, _, _):
            break
        }

        var eventsAddress: ListenAddress?
        if let text = env["CAREBOX_EVENTS_ADDRESS"], !text.isEmpty {
            eventsAddress = ListenAddress(parsing: text)
            if eventsAddress == nil {
                problems.append("CAREBOX_EVENTS_ADDRESS must be HOST:PORT, such as 127.0.0.1:8081")
            }
        }

        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        var config = AppConfig(
            storage: storage, publicURL: publicURL,
            sessionPolicy: SessionPolicy(
                idleTimeout: TimeInterval(idleMinutes * 60), absoluteLifetime: TimeInterval(lifetimeHours * 3600)),
            bcryptCost: bcryptCost, logLevel: logLevel, blobDirectory: blobDirectory, attachmentKey: attachmentKey,
            postgresConnectionsPerLoop: connections)
        config.clamd = clamd
        config.clamdFailure = clamdFailure
        config.smtp = smtp
        config.mailFrom = mailFrom
        config.staffTwoFactor = staffTwoFactor ?? .required
        config.eventsAddress = eventsAddress
        return config
    }

    private static func integer(
        _ env: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>,
        _ problems: inout [String]
    ) -> Int {
        guard let text = env[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            problems.append("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return value
        }
        return number
    }
}

extension AppConfig {
    /// For tests: the given storage, a clock that only moves when told, and bcrypt at its lowest cost so the suite
    /// spends its time on behaviour, not on hashing.
    public static func testing(storage: Storage, clock: any AppClock = ManualClock(Date())) -> AppConfig {
        var config = AppConfig(
            storage: storage, publicURL: URL(string: "http://127.0.0.1")!, bcryptCost: 4, logLevel: .warning,
            clock: clock,
            blobDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("carebox-blobs-\(UUID())")
                .path,
            attachmentKey: [UInt8].random(count: 32))
        config.notificationInterval = nil
        // Most tests sign in as the care team many times over; the two-step verification tests ask for `.required`.
        config.staffTwoFactor = .optional
        // The suite runs hundreds of apps at once on one PostgreSQL; a request waiting its turn there must not be cut
        // off by the production deadline (15 s), which is there for statements a dying server never answers and is
        // tested against a real server by scripts/faults. A hang still fails the test, after ten minutes.
        config.requestDeadlineSeconds = 600
        return config
    }
}

/// The demo's attachment key: 32 random bytes in a file only its owner can read, made on first run.
enum DemoKey {
    static func loadOrCreate(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path), let key = Data(base64Encoded: data), key.count == 32 {
            return [UInt8](key)
        }
        let key = [UInt8].random(count: 32)
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(Data(key).base64EncodedString().utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw ConfigurationError(problems: ["cannot write \(path)"]) }
        return key
    }
}
