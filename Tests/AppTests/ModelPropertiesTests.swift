import FluentKit
import Testing

@testable import App

/// The models read on every request list their Fluent properties by hand (reflection was Fluent's largest cost per
/// row). A property missing from a list would silently never be read or written; this keeps each list complete.
@Suite struct ModelPropertiesTests {
    static let models: [any Model.Type] = [
        Conversation.self, Message.self, ConversationEvent.self, ConversationState.self, User.self, UserRole.self,
        CareRelationship.self, Pool.self, PoolMember.self, ProxyGrant.self, MessageType.self, MessageTypePool.self,
        Attachment.self,
    ]

    @Test(arguments: models.map { ObjectIdentifier($0) })
    func theListedPropertiesAreExactlyTheReflectedOnes(model id: ObjectIdentifier) {
        let type = Self.models.first { ObjectIdentifier($0) == id }!
        let model = type.init()
        let reflected = Mirror(reflecting: model).children.compactMap { $0.value as? any AnyProperty }
        #expect(!reflected.isEmpty)
        #expect(
            Set(model.properties.map { ObjectIdentifier($0 as AnyObject) })
                == Set(reflected.map { ObjectIdentifier($0 as AnyObject) }), "\(type)")
    }
}
