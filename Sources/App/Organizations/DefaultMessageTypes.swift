import Fluent
import Foundation

/// The message types every new organisation starts with, which its administrator can then change. The demo and
/// `create-organization` (and `create-user` making a new organisation) all start from this one list.
enum DefaultMessageTypes {
    struct Entry: Sendable {
        let name: String
        let description: String
        /// Whether the patient's providers with an active care relationship are offered.
        let offersCareTeam: Bool
        /// The kind of pool that usually answers it ("Nurse Triage"); the demo attaches its pool of that name.
        let pool: String?
        let allowsConfidentiality: Bool
    }

    static let all: [Entry] = [
        Entry(
            name: "General Message", description: "A non-urgent question or update for your care team.",
            offersCareTeam: true, pool: nil, allowsConfidentiality: true),
        Entry(
            name: "Medical Question",
            description: "A question about symptoms, a condition or your care, for your providers or the nurses.",
            offersCareTeam: true, pool: "Nurse Triage", allowsConfidentiality: true),
        Entry(
            name: "Prescription Renewal", description: "Ask your provider to renew a prescription.",
            offersCareTeam: true, pool: nil, allowsConfidentiality: true),
        Entry(
            name: "Billing Question", description: "A question about a bill, a payment or insurance.",
            offersCareTeam: false, pool: "Billing Office", allowsConfidentiality: false),
        Entry(
            name: "Appointment Request", description: "Ask to schedule, change or cancel an appointment.",
            offersCareTeam: false, pool: "Nurse Triage", allowsConfidentiality: true),
    ]

    /// Creates the default types for an organisation, in order. A type meant for a pool the organisation does not have
    /// (a new one has none) offers the care team instead, so every type reaches someone until the administrator sets
    /// up pools.
    static func create(for organizationID: UUID, pools: [String: Pool] = [:], on db: any Database) async throws {
        for (position, entry) in all.enumerated() {
            let pool = entry.pool.flatMap { pools[$0] }
            let type = MessageType(
                organizationID: organizationID, name: entry.name, description: entry.description, position: position,
                offersCareTeam: entry.offersCareTeam || pool == nil,
                allowsConfidentiality: entry.allowsConfidentiality)
            try await type.create(on: db)
            if let pool { try await type.$pools.attach(pool, on: db) }
        }
    }
}
