import Fluent
import Foundation
import SQLKit

extension CareRelationship {
    /// Every care relationship of a patient, ended and future ones included: callers judge them by day. A deactivated
    /// provider's are left out: no one is offered, or can write to, someone who cannot sign in to answer.
    static func all(ofPatient patient: UUID, on db: any Database) async throws -> [CareRelationship] {
        try await db.models(
            CareRelationship.self,
            """
            SELECT care_relationships.* FROM care_relationships
            JOIN users ON users.id = care_relationships.provider_id AND users.deactivated_at IS NULL
            WHERE care_relationships.patient_id = \(bind: patient)
            """)
    }
}
