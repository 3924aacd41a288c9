import Foundation
import MultipartKit
import Vapor

/// Text that comes in, wherever it comes from, carries no control characters other than tab and line breaks.
/// PostgreSQL refuses NUL outright and SQLite stores it; refusing both alike, before anything runs, keeps the two
/// databases the same and keeps invisible characters out of what people read.
enum IncomingText {
    static func hasControlCharacter(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: false
            case 0x00..<0x20, 0x7F...0x9F: true
            default: false
            }
        }
    }

    static func check(_ text: some StringProtocol, field: String) throws {
        if hasControlCharacter(text) { throw refusal(field: field) }
    }

    static func refusal(field: String) -> MessagingError {
        MessagingError(
            .unprocessableEntity, "control_character",
            "The field \(field) contains a character that can't be accepted (a control character).", field: field)
    }

    static func unknownField(_ field: String) -> MessagingError {
        MessagingError(
            .unprocessableEntity, "unknown_field",
            "The field \(field) is not part of this request. Check its spelling, including upper and lower case.",
            field: field)
    }

    /// Every field of a query string, decoded.
    static func checkQuery(_ query: String?) throws {
        try checkFormEncoded(query ?? "")
    }

    /// Every name and value of an `application/x-www-form-urlencoded` text, decoded.
    static func checkFormEncoded(_ text: String) throws {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            let name = parts[0]
            if hasControlCharacter(name) { throw refusal(field: "field name") }
            if parts.count > 1 { try check(parts[1], field: name) }
        }
    }
}

/// A content decoder whose one real entry point takes `userInfo` (Vapor's `content.get(at:)` needs it); the plain one
/// forwards to it.
protocol ForwardingContentDecoder: ContentDecoder {}

extension ForwardingContentDecoder {
    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(D.self, from: body, headers: headers, userInfo: [:])
    }
}

/// Vapor's JSON decoder, refusing a body with a field the target type does not have (the OpenAPI document says
/// `additionalProperties: false`: a misspelt `"Confidential": true` must not quietly make an open conversation) or with
/// a control character in any string.
struct StrictJSONDecoder: ForwardingContentDecoder {
    func decode<D: Decodable>(
        _ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> D {
        let data = Data(buffer: body)
        let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        if let tree { try Self.checkText(tree, path: []) }
        // A decoder of its own each time: its userInfo is per request.
        let decoder = JSONDecoder.custom(dates: .iso8601)
        decoder.userInfo = userInfo.merging([Self.treeKey: TreeBox(tree)]) { $1 }
        return try decoder.decode(Checked<D>.self, from: data).value
    }

    static let treeKey = CodingUserInfoKey(rawValue: "carebox.jsonTree")!

    final class TreeBox: @unchecked Sendable {
        let value: Any?
        init(_ value: Any?) { self.value = value }
    }

    private static func checkText(_ value: Any, path: [String]) throws {
        switch value {
        case let text as String:
            try IncomingText.check(text, field: path.isEmpty ? "body" : path.joined(separator: "."))
        case let object as [String: Any]:
            for (key, member) in object {
                if IncomingText.hasControlCharacter(key) { throw IncomingText.refusal(field: "field name") }
                try checkText(member, path: path + [key])
            }
        case let array as [Any]:
            for (index, member) in array.enumerated() { try checkText(member, path: path + [String(index)]) }
        default:
            break
        }
    }

    /// Decodes `Value` through a decoder that checks each JSON object against the keys its type knows.
    private struct Checked<Value: Decodable>: Decodable {
        let value: Value
        init(from decoder: any Decoder) throws {
            let tree = (decoder.userInfo[StrictJSONDecoder.treeKey] as? TreeBox)?.value
            value = try Value(from: KeyCheckingDecoder(base: decoder, tree: tree))
        }
    }
}

/// Wraps a decoder; each keyed container it hands out first refuses any key of the JSON object that the type's
/// `CodingKeys` cannot name. The values themselves are decoded by the wrapped decoder, with all its strategies.
private struct KeyCheckingDecoder: Decoder {
    let base: any Decoder
    let tree: Any?

    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = try base.container(keyedBy: Key.self)
        let object = tree as? [String: Any] ?? [:]
        if let unknown = object.keys.sorted().first(where: { Key(stringValue: $0) == nil }) {
            throw IncomingText.unknownField((codingPath.map(\.stringValue) + [unknown]).joined(separator: "."))
        }
        return KeyedDecodingContainer(KeyCheckingContainer(base: container, object: object))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        UnkeyedChecking(base: try base.unkeyedContainer(), array: tree as? [Any] ?? [])
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueChecking(decoder: self, base: try base.singleValueContainer())
    }

    /// Decodes a member: objects and arrays through the checks, everything else straight from the wrapped decoder.
    static func member<T: Decodable>(_ type: T.Type, tree: Any?, superDecoder: () throws -> any Decoder) throws -> T? {
        // Primitives decode themselves through a single value container: they never hold keys, and going round again
        // would never end.
        let isPrimitive =
            T.self == String.self || T.self == Bool.self || T.self is any BinaryInteger.Type
            || T.self is any BinaryFloatingPoint.Type
        guard !isPrimitive, tree is [String: Any] || tree is [Any] else { return nil }
        return try T(from: KeyCheckingDecoder(base: superDecoder(), tree: tree))
    }
}

private struct KeyCheckingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let base: KeyedDecodingContainer<Key>
    let object: [String: Any]

    var codingPath: [any CodingKey] { base.codingPath }
    var allKeys: [Key] { base.allKeys }

    func contains(_ key: Key) -> Bool { base.contains(key) }
    func decodeNil(forKey key: Key) throws -> Bool { try base.decodeNil(forKey: key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        if let value = try KeyCheckingDecoder.member(
            T.self, tree: object[key.stringValue], superDecoder: { try base.superDecoder(forKey: key) })
        {
            return value
        }
        return try base.decode(T.self, forKey: key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard base.contains(key), try !base.decodeNil(forKey: key) else { return nil }
        return try decode(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try KeyCheckingDecoder(base: base.superDecoder(forKey: key), tree: object[key.stringValue])
            .container(keyedBy: NestedKey.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try KeyCheckingDecoder(base: base.superDecoder(forKey: key), tree: object[key.stringValue])
            .unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        try base.superDecoder()
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        KeyCheckingDecoder(base: try base.superDecoder(forKey: key), tree: object[key.stringValue])
    }
}

private struct UnkeyedChecking: UnkeyedDecodingContainer {
    var base: any UnkeyedDecodingContainer
    let array: [Any]

    var codingPath: [any CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let tree = array.indices.contains(currentIndex) ? array[currentIndex] : nil
        var base = self.base
        defer { self.base = base }
        if let value = try KeyCheckingDecoder.member(T.self, tree: tree, superDecoder: { try base.superDecoder() }) {
            return value
        }
        return try base.decode(T.self)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let tree = array.indices.contains(currentIndex) ? array[currentIndex] : nil
        return try KeyCheckingDecoder(base: base.superDecoder(), tree: tree).container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let tree = array.indices.contains(currentIndex) ? array[currentIndex] : nil
        return try KeyCheckingDecoder(base: base.superDecoder(), tree: tree).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let tree = array.indices.contains(currentIndex) ? array[currentIndex] : nil
        return KeyCheckingDecoder(base: try base.superDecoder(), tree: tree)
    }
}

private struct SingleValueChecking: SingleValueDecodingContainer {
    let decoder: KeyCheckingDecoder
    let base: any SingleValueDecodingContainer

    var codingPath: [any CodingKey] { base.codingPath }

    func decodeNil() -> Bool { base.decodeNil() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let value = try KeyCheckingDecoder.member(T.self, tree: decoder.tree, superDecoder: { decoder.base }) {
            return value
        }
        return try base.decode(T.self)
    }
}

/// Vapor's form decoder, after refusing a control character in any field.
struct CheckedFormDecoder: ForwardingContentDecoder {
    private let form = URLEncodedFormDecoder()

    func decode<D: Decodable>(
        _ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> D {
        try IncomingText.checkFormEncoded(String(buffer: body))
        return try form.decode(D.self, from: body, headers: headers, userInfo: userInfo)
    }
}

/// Vapor's multipart decoder, after refusing a control character in any field that is not a file.
struct CheckedFormDataDecoder: ForwardingContentDecoder {
    private let formData = FormDataDecoder()

    func decode<D: Decodable>(
        _ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> D {
        guard let boundary = headers.contentType?.parameters["boundary"] else { throw Abort(.unsupportedMediaType) }
        let parser = MultipartParser(boundary: boundary)
        var disposition = ""
        var text = ByteBuffer()
        var problem: (any Error)?
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { disposition = value }
        }
        parser.onBody = { chunk in text.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let field = Self.parameter("name", in: disposition) ?? "field"
            if problem == nil, Self.parameter("filename", in: disposition) == nil,
                IncomingText.hasControlCharacter(String(buffer: text))
            {
                problem = IncomingText.refusal(field: field)
            }
            (disposition, text) = ("", ByteBuffer())
        }
        try parser.execute(body)
        if let problem { throw problem }
        return try formData.decode(D.self, from: body, headers: headers, userInfo: userInfo)
    }

    private static func parameter(_ name: String, in disposition: String) -> String? {
        for part in disposition.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}

/// Refuses an address longer than any page of this site has (414), and a control character in the query string,
/// before any route reads them.
struct RequestLineMiddleware: AsyncMiddleware {
    /// RFC 9110 asks servers to take at least 8,000 octets; no address of Carebox comes near.
    static let maxURILength = 8_192

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.url.string.utf8.count <= Self.maxURILength else { throw Abort(.uriTooLong) }
        try IncomingText.checkQuery(request.url.query)
        return try await next.respond(to: request)
    }
}

/// Serves the style sheets and scripts in `Public/`, and looks nowhere else: any other path, or a name longer than a
/// file system takes, goes on to the routes (and so to 404) without touching the disk.
struct StaticFilesMiddleware: AsyncMiddleware {
    let files: FileMiddleware

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory)
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        let isStatic =
            (path.hasPrefix("/css/") || path.hasPrefix("/js/"))
            && path.split(separator: "/").allSatisfy { $0.utf8.count <= 255 }
        return try await isStatic ? files.respond(to: request, chainingTo: next) : next.respond(to: request)
    }
}

extension ContentConfiguration {
    /// Vapor's defaults, with every decoder of incoming text checked.
    static func carebox() -> ContentConfiguration {
        var configuration = ContentConfiguration.default()
        configuration.use(decoder: StrictJSONDecoder(), for: .json)
        configuration.use(decoder: CheckedFormDecoder(), for: .urlEncodedForm)
        configuration.use(decoder: CheckedFormDataDecoder(), for: .formData)
        return configuration
    }
}
