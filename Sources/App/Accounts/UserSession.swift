import Fluent
import Foundation

/// A signed-in browser. Kept in the database so any server behind a load balancer can check it, and so signing out
/// or timing out ends it everywhere. Only a SHA-256 of the cookie's token is stored: a copy of the table signs no
/// one in.
final class UserSession: Model, @unchecked Sendable {
    static let schema = "user_sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Parent(key: "user_id") var user: User
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    /// `TwoFactor.SessionStage`.
    @Field(key: "second_factor") var secondFactor: String

    init() {}

    init(tokenHash: String, userID: User.IDValue, now: Date) {
        self.secondFactor = TwoFactor.SessionStage.none.rawValue
        self.tokenHash = tokenHash
        self.$user.id = userID
        self.createdAt = now
        self.lastSeenAt = now
    }
}

/// One failed (or successful) password check, for slowing down guessing. Holds the username as typed, lower-cased,
/// and the client address; never the password.
final class SignInAttempt: Model, @unchecked Sendable {
    static let schema = "sign_in_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "address") var address: String
    @Field(key: "succeeded") var succeeded: Bool
    @Field(key: "attempted_at") var attemptedAt: Date
    /// The trusted device (a browser this account has signed in from before) the attempt came from, if any.
    @OptionalField(key: "device_id") var deviceID: UUID?

    init() {}

    init(username: String, address: String, succeeded: Bool, at date: Date, deviceID: UUID? = nil) {
        self.username = username
        self.address = address
        self.succeeded = succeeded
        self.attemptedAt = date
        self.deviceID = deviceID
    }
}
