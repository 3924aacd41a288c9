import Domain
import Fluent
import Foundation
import SQLKit

/// An established relationship between a patient and a provider; only these providers can be messaged.
final class CareRelationship: Model, @unchecked Sendable {
    static let schema = "care_relationships"

    enum Kind: String, Codable, CaseIterable {
        case primaryCare = "primary_care"
        case specialist
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Parent(key: "patient_id") var patient: User
    @Parent(key: "provider_id") var provider: User
    @Enum(key: "kind") var kind: Kind
    /// `YYYY-MM-DD`; see `ActivePeriod`.
    @Field(key: "active_from") var activeFrom: String
    @OptionalField(key: "active_until") var activeUntil: String?
    /// Bumped by every administrator's change, for `If-Match`.
    @Field(key: "version") var version: Int

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [$id, $organization, $patient, $provider, $kind, $activeFrom, $activeUntil, $version]
    }

    init() {}

    init(
        organizationID: Organization.IDValue, patientID: User.IDValue, providerID: User.IDValue, kind: Kind,
        period: ActivePeriod
    ) {
        self.$organization.id = organizationID
        self.$patient.id = patientID
        self.$provider.id = providerID
        self.kind = kind
        self.activeFrom = period.from.description
        self.activeUntil = period.until?.description
        self.version = 1
    }
}
