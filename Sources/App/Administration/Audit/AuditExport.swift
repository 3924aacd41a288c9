import Foundation
import Vapor

/// The selected events as a download, CSV or NDJSON, written to the response in batches by sequence as they are read:
/// a year of events never sits in memory.
struct AuditExport: Sendable {
    enum Format: String, Sendable, CaseIterable {
        case csv, ndjson

        var contentType: HTTPMediaType {
            switch self {
            case .csv:
                HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8", "header": "present"])
            case .ndjson: HTTPMediaType(type: "application", subType: "x-ndjson", parameters: ["charset": "utf-8"])
            }
        }
    }

    static let columns = [
        "sequence", "id", "occurred_at", "actor_id", "actor_username", "acting_for_id", "acting_for_username", "action",
        "record_type", "record_id", "outcome", "address", "before", "after", "hash",
    ]

    let search: AuditLogSearch
    let filter: AuditFilter
    let format: Format
    var batchSize = 500

    /// A streamed download named for the day it was made.
    func response(at now: Date) -> Response {
        let export = self
        let response = Response(
            status: .ok,
            body: .init(managedAsyncStream: { writer in
                try await export.write(to: writer)
            }))
        let day = ISO8601DateFormatter.string(from: now, timeZone: AuditDates.utc, formatOptions: [.withFullDate])
        response.headers.contentType = format.contentType
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"carebox-audit-\(day).\(format.rawValue)\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }

    func write(to writer: any AsyncBodyStreamWriter) async throws {
        if format == .csv {
            try await writer.writeBuffer(ByteBuffer(string: Self.columns.joined(separator: ",") + "\r\n"))
        }
        var after: Int64 = 0
        while true {
            let batch = try await search.batch(filter, after: after, limit: batchSize)
            guard let last = batch.last else { break }
            let people = try await search.people(in: batch)
            var text = ""
            for event in batch { text += line(AuditRow(event, people: people)) }
            try await writer.writeBuffer(ByteBuffer(string: text))
            after = last.sequence
            if batch.count < batchSize { break }
        }
    }

    func line(_ row: AuditRow) -> String {
        let values = Self.values(row)
        switch format {
        case .csv:
            return Self.columns.map { Self.csvField(values[$0]?.text ?? "") }.joined(separator: ",") + "\r\n"
        case .ndjson:
            var object: [String: Any] = [:]
            for column in Self.columns { object[column] = values[column]?.json ?? NSNull() }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }

    /// A cell's value: text for CSV; for NDJSON a number, a string, or the before/after object itself.
    struct Value {
        let text: String
        let json: Any
    }

    static func values(_ row: AuditRow) -> [String: Value] {
        func text(_ value: String?) -> Value? { value.map { Value(text: $0, json: $0) } }
        func values(_ map: [String: String]?) -> Value? {
            guard let map else { return nil }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = String(decoding: (try? encoder.encode(map)) ?? Data("{}".utf8), as: UTF8.self)
            return Value(text: json, json: map)
        }
        let when = ISO8601DateFormatter.string(
            from: row.occurredAt, timeZone: AuditDates.utc,
            formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        return [
            "sequence": Value(text: String(row.sequence), json: row.sequence),
            "id": text(row.id.uuidString.lowercased())!,
            "occurred_at": text(when)!,
            "actor_id": text(row.actorID?.uuidString.lowercased()),
            "actor_username": text(row.actor?.username),
            "acting_for_id": text(row.actingForID?.uuidString.lowercased()),
            "acting_for_username": text(row.actingFor?.username),
            "action": text(row.action)!,
            "record_type": text(row.recordType),
            "record_id": text(row.recordID?.uuidString.lowercased()),
            "outcome": text(row.outcome)!,
            "address": text(row.address),
            "before": values(row.change?.before),
            "after": values(row.change?.after),
            "hash": text(row.hash)!,
        ].compactMapValues { $0 }
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. A cell a spreadsheet would run as a
    /// formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so it is read as text.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
