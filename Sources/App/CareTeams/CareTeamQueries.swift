import Fluent
import Foundation
import SQLKit

extension CareRelationship {
    /// Every care relationship of a patient, ended and future ones included: callers judge them by day.
    static func all(ofPatient patient: UUID, on db: any Database) async throws -> [CareRelationship] {
        try await db.models(
            CareRelationship.self, "SELECT * FROM care_relationships WHERE patient_id = \(bind: patient)")
    }
}
