import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import Vapor

/// Wires the application: configuration → database → middleware → services → migrations → routes. No logic here.
public func configure(_ app: Application, _ config: AppConfig) async throws {
    app.config = config
    app.logger.logLevel = config.logLevel

    switch config.storage {
    case .sqlite(let path):
        app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
        try await SQLitePragmas.apply(on: app.db)
        app.writes = WriteSerializer(serialize: true)
    case .postgres(let url):
        // PostgresNIO's own pool, not AsyncKit's: after PostgreSQL restarts, AsyncKit's per-event-loop pools could
        // keep counting connections that had died and leave requests on that loop timing out for good.
        var client = try PostgresClient.Configuration(url: url)
        client.options.maximumConnections = config.postgresConnectionsPerLoop * System.coreCount
        app.databases.use(.postgres(configuration: client, sqlLogLevel: .trace, logger: app.logger), as: .psql)
        app.writes = WriteSerializer(serialize: false)
    }

    app.organizations = OrganizationCache()
    app.blobStore = try DirectoryBlobStore(
        root: URL(fileURLWithPath: config.blobDirectory), key: SymmetricKey(data: config.attachmentKey))
    app.lifecycle.use(BlobCleanup())
    app.virusScanning = VirusScanning(
        scanner: config.clamd.map { ClamdScanner(address: $0) }, whenUnavailable: config.clamdFailure)
    app.uploadRate = UploadRateLimiter(limit: config.uploadsPerMinute)
    app.emailNotifications = config.smtp.map {
        EmailNotifications(client: SMTPClient(configuration: $0), from: config.mailFrom, publicURL: config.publicURL)
    }
    if let interval = config.notificationInterval { app.lifecycle.use(NotificationWorker(interval: interval)) }
    try app.useLiveUpdates(config)
    if let address = config.eventsAddress { app.useLiveStreamListener(at: address) }

    // A message may hold 20,000 characters of rich text; JSON bodies up to 1 MB cover that with room to spare.
    // Uploads stream and set their own limits.
    app.routes.defaultMaxBodySize = "1mb"
    // On SIGTERM, requests in flight get this long to finish.
    app.http.server.configuration.shutdownTimeout = .seconds(10)

    ContentConfiguration.global = .carebox()
    app.views.use(.leaf)
    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.standInPasswordHash = try app.password.hash(SessionStore.newToken())
    app.passwordRules = try PasswordRules.load(resourcesDirectory: app.directory.resourcesDirectory)

    app.middleware = Middlewares()
    // Last resort only: ErrorPageMiddleware answers every error it can render.
    app.middleware.use(ErrorMiddleware.default(environment: .production))
    app.middleware.use(SecurityHeadersMiddleware(strictTransportSecurity: config.secureCookies))
    app.middleware.use(ErrorPageMiddleware())
    app.middleware.use(ErrorTitleMiddleware())
    app.middleware.use(RequestLineMiddleware())
    app.middleware.use(RequestDeadlineMiddleware(deadline: .seconds(config.requestDeadlineSeconds)))
    app.middleware.use(StaticFilesMiddleware(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(MethodNotAllowedMiddleware())

    app.migrations.add(CareboxMigrations.all)
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(DemoCommand(), as: "demo")
    app.asyncCommands.use(CreateUserCommand(), as: "create-user")
    app.asyncCommands.use(CreateOrganizationCommand(), as: "create-organization")
    app.asyncCommands.use(BenchDataCommand(), as: "bench-data")
    app.asyncCommands.use(AuditCommands(), as: "audit")
    // The older name, which scripts (scripts/faults) call: the same check.
    app.asyncCommands.use(AuditVerifyCommand(), as: "verify-audit")

    try routes(app)
}

extension Application {
    private struct ConfigKey: StorageKey {
        typealias Value = AppConfig
    }

    /// The configuration `configure` was given.
    public var config: AppConfig {
        get {
            guard let config = storage[ConfigKey.self] else { fatalError("configure(_:_:) has not run") }
            return config
        }
        set { storage[ConfigKey.self] = newValue }
    }
}

extension Request {
    var config: AppConfig { application.config }
    var now: Date { application.config.clock.now() }
}
