import Fluent
import Foundation

/// A healthcare organisation running Carebox. Every other record belongs to exactly one, and no query crosses
/// from one to another.
final class Organization: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// An IANA zone such as `America/Chicago`: business days and due dates are counted in it.
    @Field(key: "time_zone") var timeZone: String
    /// How many business days patients are told to allow for a reply.
    @Field(key: "response_business_days") var responseBusinessDays: Int
    @Field(key: "messaging_enabled") var messagingEnabled: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    @Children(for: \.$organization) var holidays: [OrganizationHoliday]

    init() {}

    init(id: UUID? = nil, name: String, timeZone: String, responseBusinessDays: Int, messagingEnabled: Bool = true) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.responseBusinessDays = responseBusinessDays
        self.messagingEnabled = messagingEnabled
    }
}

/// A day the organisation's offices are closed.
final class OrganizationHoliday: Model, @unchecked Sendable {
    static let schema = "organization_holidays"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    /// `YYYY-MM-DD`, see `CalendarDate`.
    @Field(key: "date") var date: String
    @Field(key: "name") var name: String

    init() {}

    init(organizationID: Organization.IDValue, date: String, name: String) {
        self.$organization.id = organizationID
        self.date = date
        self.name = name
    }
}
