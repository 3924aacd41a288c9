import Fluent
import Vapor

/// A browser an account has signed in from: the `carebox_device` cookie holds its token, the table only a hash.
final class TrustedDevice: Model, @unchecked Sendable {
    static let schema = "trusted_devices"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_used_at") var lastUsedAt: Date

    init() {}

    init(userID: UUID, tokenHash: String, at date: Date) {
        self.$user.id = userID
        self.tokenHash = tokenHash
        self.createdAt = date
        self.lastUsedAt = date
    }

    static let cookieName = "carebox_device"
    /// A device stays trusted for 180 days after it was last used to sign in.
    static let lifetime: TimeInterval = 180 * 24 * 3600

    static func cookie(_ token: String, secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, maxAge: Int(lifetime), path: "/sign-in", isSecure: secure, isHTTPOnly: true,
            sameSite: .strict)
    }
}
