import Vapor

struct AdminPoolMemberResponse: Content, Equatable {
    let id: UUID
    let name: String
    /// `provider` and/or `staff`.
    let roles: [String]
}

/// A pool as the administrator sees it; the `ETag` of one pool carries `version`.
struct AdminPoolResponse: Content, Equatable {
    let id: UUID
    let name: String
    let retired: Bool
    let members: [AdminPoolMemberResponse]
    let version: Int
}

/// Creating a pool, or renaming one (`PATCH`, with `If-Match`).
struct AdminPoolInput: Content, Sendable {
    var name: String?
}

/// Adding a member.
struct AdminPoolMemberInput: Content, Sendable {
    var userId: UUID?
}
