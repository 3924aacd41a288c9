import Domain
import Fluent
import Vapor

/// Riverbend Health, the organisation demos, docs and tests rely on. Loaded by `carebox demo` only; `serve` never
/// creates these users.
enum DemoOrganization {
    static let name = "Riverbend Health"
    static let password = "carebox-demo"

    /// The sign-ins `demo` prints: username and who it is.
    static let signIns: [(username: String, who: String)] = [
        ("alex", "Alex Rivera, patient"),
        ("jordan", "Jordan Rivera, patient; proxy for Alex Rivera and Sam Rivera"),
        ("mchen", "Dr. Maya Chen, Family Medicine"),
        ("ohaddad", "Dr. Omar Haddad, Cardiology"),
        ("lpark", "Dr. Lena Park, Dermatology"),
        ("ntorres", "Nina Torres, RN, Nurse Triage"),
        ("bokafor", "Ben Okafor, Billing Office"),
        ("admin", "Avery Stone, administrator"),
    ]

    /// Loads the organisation unless it is there already. All or nothing: it runs in one transaction.
    /// - Returns: whether it was loaded now.
    @discardableResult
    static func loadIfMissing(on database: any Database, passwordHasher: AsyncPasswordHasher) async throws -> Bool {
        guard try await Organization.query(on: database).filter(\.$name == name).first() == nil else { return false }
        let passwordHash = try await passwordHasher.hash(password)
        try await database.transaction { db in
            try await load(on: db, passwordHash: passwordHash)
        }
        return true
    }

    private static func load(on db: any Database, passwordHash: String) async throws {
        let organization = Organization(name: name, timeZone: "America/Chicago", responseBusinessDays: 3)
        try await organization.create(on: db)
        let org = try organization.requireID()

        for holiday in (2026...2027).flatMap(USFederalHolidays.observed(in:)) {
            try await OrganizationHoliday(organizationID: org, date: holiday.date.description, name: holiday.name)
                .create(on: db)
        }

        func person(
            _ username: String?, _ name: String, roles: [Role], title: String? = nil, credentials: String? = nil,
            specialty: String? = nil, born: String? = nil, record: String? = nil
        ) async throws -> User.IDValue {
            let user = User(
                organizationID: org, username: username, passwordHash: username == nil ? nil : passwordHash, name: name,
                title: title, credentials: credentials, specialty: specialty, birthDate: born)
            // Addresses at example.org, which no mail server delivers to; care-team members take the daily summary.
            user.email = username.map { "\($0)@example.org" }
            user.careTeamSummary = roles.contains(where: \.isCareTeam)
            user.recordNumber = record
            try await user.create(on: db)
            let id = try user.requireID()
            for role in roles { try await UserRole(userID: id, role: role).create(on: db) }
            return id
        }

        let alex = try await person("alex", "Alex Rivera", roles: [.patient], born: "1988-04-12", record: "RB-100234")
        let jordan = try await person(
            "jordan", "Jordan Rivera", roles: [.patient, .proxy], born: "1986-09-30", record: "RB-100187")
        let sam = try await person(nil, "Sam Rivera", roles: [.patient], born: "2016-02-03", record: "RB-104552")
        let chen = try await person(
            "mchen", "Maya Chen", roles: [.provider], title: "Dr.", specialty: "Family Medicine")
        let haddad = try await person(
            "ohaddad", "Omar Haddad", roles: [.provider], title: "Dr.", specialty: "Cardiology")
        _ = try await person("lpark", "Lena Park", roles: [.provider], title: "Dr.", specialty: "Dermatology")
        let torres = try await person("ntorres", "Nina Torres", roles: [.staff], credentials: "RN")
        let okafor = try await person("bokafor", "Ben Okafor", roles: [.staff])
        _ = try await person("admin", "Avery Stone", roles: [.admin])

        let since = ActivePeriod(from: CalendarDate("2020-01-01")!)
        try await ProxyGrant(
            organizationID: org, proxyID: jordan, patientID: alex, relationship: "spouse", period: since
        )
        .create(on: db)
        try await ProxyGrant(
            organizationID: org, proxyID: jordan, patientID: sam, relationship: "parent",
            period: ActivePeriod(from: CalendarDate("2016-02-03")!)
        ).create(on: db)

        for (patient, provider, kind) in [
            (alex, chen, CareRelationship.Kind.primaryCare), (alex, haddad, .specialist), (jordan, chen, .primaryCare),
            (sam, chen, .primaryCare),
        ] {
            try await CareRelationship(
                organizationID: org, patientID: patient, providerID: provider, kind: kind, period: since
            ).create(on: db)
        }

        let nurseTriage = Pool(organizationID: org, name: "Nurse Triage")
        let billingOffice = Pool(organizationID: org, name: "Billing Office")
        try await nurseTriage.create(on: db)
        try await billingOffice.create(on: db)
        try await nurseTriage.$members.attach(try await User.find(torres, on: db)!, on: db)
        try await billingOffice.$members.attach(try await User.find(okafor, on: db)!, on: db)

        try await DefaultMessageTypes.create(
            for: org, pools: ["Nurse Triage": nurseTriage, "Billing Office": billingOffice], on: db)
    }
}
