import Fluent
import Foundation

/// A shared mailbox ("Nurse Triage", "Billing Office") that any of its members may answer.
final class Pool: Model, @unchecked Sendable {
    static let schema = "pools"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Field(key: "name") var name: String
    /// A retired pool is offered no more and takes no new conversations; its conversations stay.
    @OptionalField(key: "retired_at") var retiredAt: Date?
    /// Bumped by every change, for `If-Match`.
    @Field(key: "version") var version: Int

    @Siblings(through: PoolMember.self, from: \.$pool, to: \.$user) var members: [User]

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] { [$id, $organization, $name, $retiredAt, $version, $members] }

    init() {}

    init(organizationID: Organization.IDValue, name: String) {
        self.$organization.id = organizationID
        self.name = name
        self.version = 1
    }
}

final class PoolMember: Model, @unchecked Sendable {
    static let schema = "pool_members"

    @ID(key: .id) var id: UUID?
    @Parent(key: "pool_id") var pool: Pool
    @Parent(key: "user_id") var user: User

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] { [$id, $pool, $user] }

    init() {}
}
