import Foundation
import Testing

@testable import App

/// The served OpenAPI document, used to check that every real API response matches what it promises. Supports the
/// JSON Schema subset the document uses: type, properties, required, additionalProperties, items, enum, const, oneOf
/// and $ref.
struct OpenAPIDocument: Sendable {
    private let document: [String: any Sendable]

    static let shared: OpenAPIDocument = {
        let resources =
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Resources").path + "/"
        let data = try! OpenAPIAssembly.document(resourcesDirectory: resources)
        return OpenAPIDocument(document: try! JSONSerialization.jsonObject(with: data) as! [String: any Sendable])
    }()

    /// Problems with a response, empty when it matches the document. `path` is the concrete path under `/api/v1`.
    func problems(method: String, path: String, status: UInt, contentType: String?, body: String) -> [String] {
        guard let (template, operations) = operations(for: path) else { return ["\(path) is not documented"] }
        guard let operation = operations[method.lowercased()] as? [String: Any] else {
            return ["\(method) \(template) is not documented"]
        }
        let responses = operation["responses"] as? [String: Any] ?? [:]
        guard let response = responses[String(status)] as? [String: Any] else {
            return ["\(method) \(template) does not document status \(status)"]
        }
        guard let content = response["content"] as? [String: Any] else {
            return body.isEmpty ? [] : ["\(method) \(template) \(status) documents no body but one was sent"]
        }
        let mediaType = contentType?.split(separator: ";").first.map(String.init) ?? ""
        // A download documents `*/*`: any type, and the body is the file, not JSON.
        if content[mediaType] == nil, content["*/*"] != nil { return [] }
        guard let media = content[mediaType] as? [String: Any], let schema = media["schema"] else {
            return ["\(method) \(template) \(status) does not document \(mediaType)"]
        }
        guard let value = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: .fragmentsAllowed) else {
            return ["\(method) \(template) \(status): body is not JSON"]
        }
        return validate(value, against: schema, at: "$")
    }

    private func operations(for path: String) -> (String, [String: Any])? {
        let paths = document["paths"] as? [String: Any] ?? [:]
        let segments = path.split(separator: "?")[0].split(separator: "/")
        for (template, operations) in paths {
            let parts = template.split(separator: "/")
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) {
                return (template, operations as? [String: Any] ?? [:])
            }
        }
        return nil
    }

    private func resolve(_ schema: Any) -> [String: Any] {
        guard let object = schema as? [String: Any] else { return [:] }
        guard let ref = object["$ref"] as? String else { return object }
        let name = String(ref.split(separator: "/").last ?? "")
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        return resolve(schemas[name] as Any)
    }

    private func validate(_ value: Any, against rawSchema: Any, at path: String) -> [String] {
        let schema = resolve(rawSchema)
        if let options = schema["oneOf"] as? [Any] {
            let matches = options.filter { validate(value, against: $0, at: path).isEmpty }.count
            return matches == 1 ? [] : ["\(path): matches \(matches) of the oneOf options"]
        }
        if let constant = schema["const"] as? String, value as? String != constant {
            return ["\(path): expected \(constant)"]
        }
        if let allowed = schema["enum"] as? [String], !(value is String && allowed.contains(value as! String)) {
            return ["\(path): \(value) is not one of \(allowed)"]
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): expected an object"] }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            var problems = (schema["required"] as? [String] ?? []).filter { object[$0] == nil }
                .map { "\(path): missing \($0)" }
            for (key, child) in object {
                if let property = properties[key] {
                    problems += validate(child, against: property, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): undocumented property \(key)")
                }
            }
            return problems
        case "array":
            guard let array = value as? [Any] else { return ["\(path): expected an array"] }
            return array.enumerated().flatMap { validate($1, against: schema["items"] as Any, at: "\(path)[\($0)]") }
        case "string":
            return value is String ? [] : ["\(path): expected a string"]
        case "integer":
            return numberKind(value) == "integer" ? [] : ["\(path): expected an integer"]
        case "boolean":
            return numberKind(value) == "boolean" ? [] : ["\(path): expected a boolean"]
        case "null":
            return value is NSNull ? [] : ["\(path): expected null"]
        default:
            return []
        }
    }

    /// Foundation hands numbers and booleans back as NSNumber; its type code tells them apart ("c" is a boolean).
    private func numberKind(_ value: Any) -> String? {
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "c": return "boolean"
        case "d", "f": return number.doubleValue.rounded() == number.doubleValue ? "integer" : "number"
        default: return "integer"
        }
    }
}
