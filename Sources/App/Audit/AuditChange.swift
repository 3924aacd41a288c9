import Foundation

/// What an administrator's change did: the record's settings before and after, as short named values. Absent before
/// means created; absent after means removed. Holds configuration only, never message text; a person appears by id.
struct AuditChange: Sendable, Equatable, Codable {
    var before: [String: String]?
    var after: [String: String]?

    /// The fields whose value differs, so a long record shows only what changed.
    var changedFields: [String] {
        Set((before ?? [:]).keys).union((after ?? [:]).keys).filter { before?[$0] != after?[$0] }.sorted()
    }

    /// Sorted keys, so the same change always hashes the same.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    init(before: [String: String]?, after: [String: String]?) {
        self.before = before
        self.after = after
    }

    init?(json: String?) {
        guard let json, let decoded = try? JSONDecoder().decode(AuditChange.self, from: Data(json.utf8)) else {
            return nil
        }
        self = decoded
    }
}
