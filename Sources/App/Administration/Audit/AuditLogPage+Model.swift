import Foundation

/// The audit log page: the search, one page of events in the organisation's time zone, paging links that keep the
/// search, the export links, and the result of Verify chain when it was just run.
struct AuditLogPage: Encodable {
    struct Option: Encodable {
        let value: String
        let label: String
        let selected: Bool
    }

    struct Suggestion: Encodable {
        let username: String
        let name: String
    }

    struct Row: Encodable {
        let sequence: Int64
        let when: String
        let whenISO: String
        let who: String
        let actingFor: String?
        let action: String
        let actionText: String
        let recordType: String?
        let recordID: String?
        let outcome: String
        let address: String?
        let changes: [Change]
    }

    /// A changed field, a missing value shown as "(none)".
    struct Change: Encodable {
        let field: String
        let before: String
        let after: String
    }

    struct Verification: Encodable {
        let intact: Bool
        let message: String
    }

    let layout: LayoutModel
    let timeZone: String
    let search: Search
    let families: [Option]
    let actions: [Option]
    let patients: [Suggestion]
    let errors: [String: String]
    let errorSummary: [ErrorSummaryItem]
    let rows: [Row]
    let newerLink: String?
    let olderLink: String?
    let csvLink: String
    let ndjsonLink: String
    let verification: Verification?
    let verifyFrom: String
    let verifyTo: String

    struct Search: Encodable {
        let user: String
        let patient: String
        let action: String
        let from: String
        let to: String
    }

    static func options(selected: String?) -> (families: [Option], actions: [Option]) {
        let selected = selected?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        var actions = AuditActions.single
        if !selected.isEmpty, !(AuditActions.families + actions).contains(where: { $0.value == selected }),
            AuditActions.isWellFormed(selected)
        {
            // An action the list does not name (another administrator's change) stays chosen.
            actions.insert(AuditActions.Choice(value: selected, label: AuditActions.describe(selected)), at: 0)
        }
        return (
            AuditActions.families.map { Option(value: $0.value, label: $0.label, selected: $0.value == selected) },
            actions.map { Option(value: $0.value, label: "\($0.label) (\($0.value))", selected: $0.value == selected) }
        )
    }

    static func row(_ row: AuditRow, formatter: DateFormatter) -> Row {
        func person(_ person: AuditPerson?, _ id: UUID?) -> String? {
            guard let id else { return nil }
            guard let person else { return "Unknown person (\(id.uuidString.lowercased()))" }
            return person.username.map { "\(person.name) (\($0))" } ?? person.name
        }
        return Row(
            sequence: row.sequence, when: formatter.string(from: row.occurredAt),
            whenISO: ISO8601DateFormatter.string(
                from: row.occurredAt, timeZone: AuditDates.utc, formatOptions: [.withInternetDateTime]),
            who: person(row.actor, row.actorID) ?? "No one signed in",
            actingFor: person(row.actingFor, row.actingForID),
            action: row.action, actionText: row.actionText, recordType: row.recordType,
            recordID: row.recordID?.uuidString.lowercased(), outcome: row.outcome, address: row.address,
            changes: row.changes.map {
                Change(field: $0.field, before: $0.before ?? "(none)", after: $0.after ?? "(none)")
            })
    }

    static func formatter(_ zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }

    /// `/administration/audit` with the search and one more parameter, for paging and export links.
    static func link(_ path: String, _ input: AuditSearchInput, _ extra: [URLQueryItem]) -> String {
        var components = URLComponents()
        components.path = path
        let items = input.queryItems.filter { !($0.value ?? "").isEmpty } + extra
        components.queryItems = items.isEmpty ? nil : items
        // A `+` in a query value would be read back as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? path
    }
}
