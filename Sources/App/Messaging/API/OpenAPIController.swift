import Foundation
import Vapor

/// Serves the OpenAPI 3.1 document that describes `/api/v1`, assembled once at start-up by `OpenAPIAssembly`.
struct OpenAPIController: RouteCollection {
    let document: Data

    init(resourcesDirectory: String) throws {
        document = try OpenAPIAssembly.document(resourcesDirectory: resourcesDirectory)
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json", use: serve)
    }

    @Sendable func serve(request: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(data: document))
        response.headers.replaceOrAdd(name: .contentType, value: "application/json")
        return response
    }
}

/// The API document is `Resources/OpenAPI/openapi.json` plus one part per area in `Resources/OpenAPI/parts/*.json`
/// (administration, …), each holding its own `paths` and `components`. Parts keep each area's description beside the
/// others without one file that every change edits.
enum OpenAPIAssembly {
    struct DuplicateDefinition: Error, CustomStringConvertible {
        let name: String
        var description: String { "OpenAPI part defines \(name) twice" }
    }

    static func document(resourcesDirectory: String) throws -> Data {
        let directory = URL(fileURLWithPath: resourcesDirectory).appendingPathComponent("OpenAPI")
        var document = try object(at: directory.appendingPathComponent("openapi.json"))
        let partsDirectory = directory.appendingPathComponent("parts")
        let parts = (try? FileManager.default.contentsOfDirectory(atPath: partsDirectory.path)) ?? []
        for name in parts.sorted() where name.hasSuffix(".json") {
            let part = try object(at: partsDirectory.appendingPathComponent(name))
            try merge(part["paths"], into: &document, at: "paths")
            for (section, value) in part["components"] as? [String: Any] ?? [:] {
                var components = document["components"] as? [String: Any] ?? [:]
                var existing = components[section] as? [String: Any] ?? [:]
                for (key, definition) in value as? [String: Any] ?? [:] {
                    guard existing[key] == nil else { throw DuplicateDefinition(name: "components.\(section).\(key)") }
                    existing[key] = definition
                }
                components[section] = existing
                document["components"] = components
            }
            if let tags = part["tags"] as? [Any] { document["tags"] = (document["tags"] as? [Any] ?? []) + tags }
        }
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    private static func object(at url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    private static func merge(_ value: Any?, into document: inout [String: Any], at key: String) throws {
        var existing = document[key] as? [String: Any] ?? [:]
        for (name, definition) in value as? [String: Any] ?? [:] {
            guard existing[name] == nil else { throw DuplicateDefinition(name: "\(key).\(name)") }
            existing[name] = definition
        }
        document[key] = existing
    }
}
