import Foundation

/// A typed identifier: a `UserID` cannot be passed where a `PoolID` is expected, though both are UUIDs underneath.
public struct Identifier<Tag>: Hashable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }

    public init(from decoder: any Decoder) throws {
        uuid = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(uuid)
    }

    public var description: String { uuid.uuidString.lowercased() }
}

public enum UserTag {}
public enum PoolTag {}
public enum MessageTypeTag {}
public enum ConversationTag {}

public typealias UserID = Identifier<UserTag>
public typealias PoolID = Identifier<PoolTag>
public typealias MessageTypeID = Identifier<MessageTypeTag>
public typealias ConversationID = Identifier<ConversationTag>
