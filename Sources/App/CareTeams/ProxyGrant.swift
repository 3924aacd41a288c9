import Domain
import Fluent
import Foundation

/// Lets one person act for a patient (a parent for a child, a spouse): they see and write that patient's
/// messages, never confidential ones.
final class ProxyGrant: Model, @unchecked Sendable {
    static let schema = "proxy_grants"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Parent(key: "proxy_id") var proxy: User
    @Parent(key: "patient_id") var patient: User
    /// How the proxy is related to the patient: "spouse", "parent", "caregiver".
    @Field(key: "relationship") var relationship: String
    @Field(key: "active_from") var activeFrom: String
    @OptionalField(key: "active_until") var activeUntil: String?
    /// Bumped by every administrator's change, for `If-Match`.
    @Field(key: "version") var version: Int

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [$id, $organization, $proxy, $patient, $relationship, $activeFrom, $activeUntil, $version]
    }

    init() {}

    init(
        organizationID: Organization.IDValue, proxyID: User.IDValue, patientID: User.IDValue, relationship: String,
        period: ActivePeriod
    ) {
        self.$organization.id = organizationID
        self.$proxy.id = proxyID
        self.$patient.id = patientID
        self.relationship = relationship
        self.activeFrom = period.from.description
        self.activeUntil = period.until?.description
        self.version = 1
    }
}
