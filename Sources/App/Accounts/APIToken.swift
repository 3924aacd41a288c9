import Fluent
import Foundation

/// A bearer token for the JSON API that a user created and can revoke. Only its SHA-256 is stored.
final class APIToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    /// After this it signs in no one (`APITokens.lifetime`).
    @OptionalField(key: "expires_at") var expiresAt: Date?
    /// To within `APITokens.usageGranularity`.
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?

    init() {}

    init(
        userID: UUID, name: String, tokenHash: String, at date: Date,
        lifetime: TimeInterval = APITokens.defaultLifetime
    ) {
        self.$user.id = userID
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = date
        self.expiresAt = date.addingTimeInterval(lifetime)
    }
}

/// How long API tokens last, and how often their use is written down.
enum APITokens {
    static let defaultDays = 90
    static let maximumDays = 365
    static let defaultLifetime = TimeInterval(defaultDays * 86_400)
    /// A token's last use is written at most this often: not a write on every API request.
    static let usageGranularity: TimeInterval = 300
}
