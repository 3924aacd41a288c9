import Domain
import Fluent
import Foundation
import SQLKit

/// A realistic, reproducible dataset for benchmarks, written with multi-row INSERTs in large transactions rather than
/// request by request: patients, providers with care relationships, pools with members, proxies, and conversations
/// whose message counts follow a long tail (most have a few, some have many). Everyone has an address at example.org
/// and the default notification choice, so a care-team reply writes its notices as it does in a clinic.
struct BenchDataset {
    struct Size: Sendable, Equatable {
        var messages: Int
        var patients: Int
        var providers: Int

        /// Defaults that keep the proportions of a health system: ten messages per patient, a provider per fifty
        /// patients (at least 50).
        static func forMessages(_ messages: Int) -> Size {
            let patients = max(10, messages / 10)
            return Size(messages: messages, patients: patients, providers: max(50, patients / 50))
        }
    }

    struct Summary: Equatable, Sendable {
        let organizationID: UUID
        let patients: Int
        let providers: Int
        let conversations: Int
        let messages: Int
    }

    static let organizationName = "Bench Health"
    static let password = "carebox-bench"

    let size: Size
    let passwordHash: String
    let now: Date
    var random: SplitMix64

    init(size: Size, passwordHash: String, now: Date, seed: UInt64 = 42) {
        self.size = size
        self.passwordHash = passwordHash
        self.now = now
        self.random = SplitMix64(seed: seed)
    }

    /// Usernames: `bench-patient-<n>`, `bench-provider-<n>`, `bench-nurse-<n>`, all with `password`.
    mutating func load(on db: any Database) async throws -> Summary {
        let sql = db
        let organization = Organization(
            name: Self.organizationName, timeZone: "America/Chicago", responseBusinessDays: 3)
        try await organization.create(on: db)
        let org = try organization.requireID()

        let patients = (0..<size.patients).map { _ in UUID() }
        let providers = (0..<size.providers).map { _ in UUID() }
        let nurses = (0..<max(2, size.providers / 20)).map { _ in UUID() }
        let pool = UUID()
        let generalType = UUID()
        let createdAt = now.addingTimeInterval(-400 * 86_400)

        var users: [[any SQLExpression]] = []
        var roles: [[any SQLExpression]] = []
        func person(_ id: UUID, _ username: String, _ name: String, _ role: Role, born: String?, specialty: String?) {
            users.append([
                SQLBind(id), SQLBind(org), SQLBind(username), SQLBind(passwordHash), SQLBind(name), SQLBind(specialty),
                SQLBind(born), SQLBind(createdAt), SQLBind("\(username)@example.org"),
            ])
            roles.append([SQLBind(UUID()), SQLBind(id), SQLBind(role.rawValue)])
        }
        for (n, id) in patients.enumerated() {
            person(id, "bench-patient-\(n)", "Patient \(n) Bench", .patient, born: "1980-01-01", specialty: nil)
        }
        for (n, id) in providers.enumerated() {
            person(id, "bench-provider-\(n)", Self.providerName(n), .provider, born: nil, specialty: "Family Medicine")
        }
        for (n, id) in nurses.enumerated() {
            person(id, "bench-nurse-\(n)", "Nurse \(n) Bench", .staff, born: nil, specialty: nil)
        }
        try await insert(
            "users",
            [
                "id", "organization_id", "username", "password_hash", "name", "specialty", "birth_date", "created_at",
                "email",
            ],
            users, sql)
        try await insert("user_roles", ["id", "user_id", "role"], roles, sql)

        try await insert(
            "pools", ["id", "organization_id", "name"], [[SQLBind(pool), SQLBind(org), SQLBind("Nurse Triage")]], sql)
        try await insert(
            "pool_members", ["id", "pool_id", "user_id"], nurses.map { [SQLBind(UUID()), SQLBind(pool), SQLBind($0)] },
            sql)
        try await insert(
            "message_types",
            [
                "id", "organization_id", "name", "description", "position", "offers_care_team",
                "allows_confidentiality",
                "allows_attachments",
            ],
            [
                [
                    SQLBind(generalType), SQLBind(org), SQLBind("General Message"),
                    SQLBind("A question for your care team."),
                    SQLBind(0), SQLBind(true), SQLBind(true), SQLBind(true),
                ]
            ], sql)
        try await insert(
            "message_type_pools", ["id", "message_type_id", "pool_id"],
            [[SQLBind(UUID()), SQLBind(generalType), SQLBind(pool)]], sql)

        // Two providers per patient; every tenth patient has a proxy (the patient before them).
        var relationships: [[any SQLExpression]] = []
        var patientProviders: [[UUID]] = []
        for (n, patient) in patients.enumerated() {
            let mine = [providers[n % providers.count], providers[(n * 7 + 3) % providers.count]]
            patientProviders.append(mine)
            for provider in Set(mine) {
                relationships.append([
                    SQLBind(UUID()), SQLBind(org), SQLBind(patient), SQLBind(provider), SQLBind("primary_care"),
                    SQLBind("2020-01-01"),
                ])
            }
        }
        try await insert(
            "care_relationships", ["id", "organization_id", "patient_id", "provider_id", "kind", "active_from"],
            relationships, sql)
        let grants: [[any SQLExpression]] = stride(from: 10, to: patients.count, by: 10).map {
            [
                SQLBind(UUID()), SQLBind(org), SQLBind(patients[$0 - 1]), SQLBind(patients[$0]), SQLBind("caregiver"),
                SQLBind("2020-01-01"),
            ]
        }
        try await insert(
            "proxy_grants", ["id", "organization_id", "proxy_id", "patient_id", "relationship", "active_from"], grants,
            sql)

        // Conversations until the message budget is spent.
        var conversations: [[any SQLExpression]] = []
        var messages: [[any SQLExpression]] = []
        var states: [[any SQLExpression]] = []
        var written = 0
        var conversationCount = 0
        while written < size.messages {
            let count = min(longTailMessageCount(), size.messages - written)
            let index = Int(random.next() % UInt64(patients.count))
            let patient = patients[index]
            let toPool = random.next() % 5 == 0
            let provider = patientProviders[index][Int(random.next() % 2)]
            let id = UUID()
            var at = now.addingTimeInterval(-Double(random.next() % (365 * 86_400)))
            var lastPatient: Date?
            var lastCareTeam: Date?
            var lastPatientSeq = 0
            var lastCareTeamSeq = 0
            for m in 0..<count {
                let fromPatient = m % 2 == 0
                let author = fromPatient ? patient : (toPool ? nurses[m % nurses.count] : provider)
                let topic = Self.topics[Int(random.next() % UInt64(Self.topics.count))]
                let text = fromPatient ? "Question \(m) about my \(topic)." : "Answer \(m) about your \(topic)."
                let body = RichTextDocument(plainText: text)
                messages.append([
                    SQLBind(UUID()), SQLBind(id), SQLBind(author), SQLBind(fromPatient ? "patient" : "care_team"),
                    SQLBind(body.json), SQLBind(text), SQLBind(at), SQLBind(m + 1),
                ])
                if fromPatient {
                    lastPatient = at
                    lastPatientSeq = m + 1
                } else {
                    lastCareTeam = at
                    lastCareTeamSeq = m + 1
                }
                at = at.addingTimeInterval(Double(600 + random.next() % 86_400))
            }
            let last = max(lastPatient ?? .distantPast, lastCareTeam ?? .distantPast)
            conversations.append([
                SQLBind(id), SQLBind(org), SQLBind(patient), SQLBind(generalType),
                SQLBind("Conversation \(conversationCount)"),
                SQLBind(toPool ? nil : provider), SQLBind(toPool ? pool : nil), SQLBind(false), SQLBind("open"),
                SQLBind(patient), SQLBind(createdAt), SQLBind(last), SQLBind("2026-01-05"), SQLBind(1),
                SQLBind(lastPatient), SQLBind(lastCareTeam), SQLBind(count), SQLBind(lastPatientSeq),
                SQLBind(lastCareTeamSeq), SQLBind("patient"),
            ])
            states.append([SQLBind(UUID()), SQLBind(id), SQLBind(patient), SQLBind(last), SQLBind(count)])
            written += count
            conversationCount += 1
            if messages.count >= 20_000 { try await flush(&conversations, &messages, &states, sql) }
        }
        try await flush(&conversations, &messages, &states, sql)
        try await SearchIndex(sql: sql.sql()).rebuild()
        return Summary(
            organizationID: org, patients: patients.count, providers: providers.count, conversations: conversationCount,
            messages: written)
    }

    /// What messages are about, one in each message, so that a search for one ("refill") matches about a tenth of them.
    static let topics = [
        "care", "refill", "appointment", "lab results", "rash", "blood pressure", "referral", "vaccine", "insurance",
        "sleep",
    ]

    /// 1 + a Pareto-like tail: half the conversations have one or two messages, a few have dozens, none over 200.
    mutating func longTailMessageCount() -> Int {
        let uniform = Double(random.next() % 1_000_000 + 1) / 1_000_001
        return min(200, Int(1 / pow(uniform, 0.8)))
    }

    static func providerName(_ n: Int) -> String {
        let first = ["Ava", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ian", "Jo"]
        let last = ["Adams", "Baker", "Clark", "Diaz", "Evans", "Ford", "Gray", "Hill", "Ito", "Jones"]
        return "\(first[n % 10]) \(last[(n / 10) % 10]) \(n)"
    }

    private func flush(
        _ conversations: inout [[any SQLExpression]], _ messages: inout [[any SQLExpression]],
        _ states: inout [[any SQLExpression]], _ sql: any Database
    ) async throws {
        try await insert(
            "conversations",
            [
                "id", "organization_id", "patient_id", "message_type_id", "subject", "recipient_provider_id",
                "recipient_pool_id", "confidential", "status", "started_by_id", "created_at", "last_message_at",
                "expected_reply_by", "version", "last_patient_message_at", "last_care_team_message_at",
                "last_message_seq", "last_patient_seq", "last_care_team_seq", "started_side",
            ],
            conversations, sql)
        try await insert(
            "messages", ["id", "conversation_id", "author_id", "side", "body", "body_text", "created_at", "seq"],
            messages, sql)
        try await insert(
            "conversation_states", ["id", "conversation_id", "user_id", "last_read_at", "last_read_seq"], states, sql)
        conversations = []
        messages = []
        states = []
    }

    /// Multi-row INSERTs of at most 500 rows (and under SQLite's 32,766 bound parameters), in one transaction per call.
    private func insert(_ table: String, _ columns: [String], _ rows: [[any SQLExpression]], _ db: any Database)
        async throws
    {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, min(500, 30_000 / columns.count))
        let batches = stride(from: 0, to: rows.count, by: perStatement).map {
            SQLBatch(rows: Array(rows[$0..<min(rows.count, $0 + perStatement)]))
        }
        try await db.transaction { transaction in
            let sql = transaction.sql()
            for batch in batches {
                var insert = sql.insert(into: table).columns(columns)
                for row in batch.rows { insert = insert.values(row) }
                try await insert.run()
            }
        }
    }
}

/// Rows handed to a transaction closure.
private struct SQLBatch: @unchecked Sendable {
    let rows: [[any SQLExpression]]
}

/// A small, fast, seedable random number generator, so the same seed always makes the same dataset.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
