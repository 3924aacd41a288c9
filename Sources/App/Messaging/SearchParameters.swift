import Domain
import Foundation
import Vapor

/// A search as typed: the query parameters of the Messages page's search, the In Basket's, and `GET /api/v1/search`
/// (`q`, `recipient`, `type`, `from`, `to`, `folder`, `patient_name`, `born`), kept as text so a page can show them
/// back with what is wrong beside each.
struct SearchParameters: Encodable, Sendable {
    static let maxTextLength = 200
    static let maxNameLength = 100

    var q = ""
    var recipient = ""
    var type = ""
    var from = ""
    var to = ""
    var folder = ""
    var patientName = ""
    var born = ""

    init(_ request: Request) {
        func text(_ name: String) -> String {
            ((try? request.query.get(String.self, at: name)) ?? "").trimmingCharacters(in: .whitespaces)
        }
        q = text("q")
        recipient = text("recipient")
        type = text("type")
        from = text("from")
        to = text("to")
        folder = text("folder")
        patientName = text("patient_name")
        born = text("born")
    }

    enum CodingKeys: String, CodingKey {
        case q, recipient, type, from, to, folder
        case patientName = "patient_name"
        case born
    }

    /// The search as a query string, for the link to the next page.
    var queryString: String {
        var components = URLComponents()
        components.queryItems = [
            ("q", q), ("recipient", recipient), ("type", type), ("from", from), ("to", to), ("folder", folder),
            ("patient_name", patientName), ("born", born),
        ].filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.percentEncodedQuery ?? ""
    }

    /// Whether a filter of the "Narrow it down" part was given.
    var hasFilters: Bool {
        [recipient, type, from, to, folder].contains { !$0.isEmpty }
    }

    /// Whether anything at all was asked: a page opened without any shows the form alone.
    var isEmpty: Bool {
        [q, recipient, type, from, to, folder, patientName, born].allSatisfy(\.isEmpty)
    }

    /// The search they describe, in the organisation's zone; or every field at fault, in the form's order.
    func query(in zone: TimeZone) throws -> SearchQuery {
        var errors: [(field: String, message: String)] = []
        var query = SearchQuery()
        if q.count > Self.maxTextLength {
            errors.append(("q", "Search for at most \(Self.maxTextLength) characters."))
        }
        query.words = SearchIndex.words(q)
        func id(_ text: String, _ field: String, _ message: String) -> UUID? {
            guard !text.isEmpty else { return nil }
            guard let id = UUID(uuidString: text) else {
                errors.append((field, message))
                return nil
            }
            return id
        }
        query.recipient = id(recipient, "recipient", "Choose a provider or pool from the list.")
        query.type = id(type, "type", "Choose a message type from the list.")
        do {
            let range = try AuditDates.range(from: from, to: to, in: zone)
            query.from = range.from
            query.before = range.to
        } catch let refusal as AuditSearchRefusal {
            errors += refusal.errors
        }
        if !folder.isEmpty {
            if let chosen = Folder(rawValue: folder), chosen != .drafts {
                query.folder = chosen
            } else {
                errors.append(("folder", "Choose Inbox, Sent or Archived."))
            }
        }
        if patientName.count > Self.maxNameLength {
            errors.append(("patient_name", "Search for a name of at most \(Self.maxNameLength) characters."))
        }
        query.patientName = SearchIndex.words(patientName)
        if !born.isEmpty {
            if let day = Self.birthDate(born) {
                query.patientBirthDate = day
            } else {
                errors.append(("born", "Enter the date of birth as YYYY-MM-DD or MM/DD/YYYY, such as 04/12/1990."))
            }
        }
        guard errors.isEmpty else { throw SearchRefusal(errors: errors) }
        return query
    }

    /// `1990-04-12`, or as people in the US write it, `4/12/1990`.
    static func birthDate(_ text: String) -> CalendarDate? {
        if let day = CalendarDate(text) { return day }
        let parts = text.split(separator: "/")
        guard parts.count == 3, parts[2].count == 4, let month = Int(parts[0]), let day = Int(parts[1]),
            let year = Int(parts[2])
        else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }
}

/// The fields of a search that cannot be read, each with what to fix.
struct SearchRefusal: Error {
    var errors: [(field: String, message: String)]

    /// The first, for the API's problem+json.
    var problem: MessagingError {
        MessagingError(.unprocessableEntity, "invalid_\(errors[0].field)", errors[0].message, field: errors[0].field)
    }
}
