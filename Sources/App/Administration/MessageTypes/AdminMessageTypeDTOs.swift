import Vapor

struct AdminMessageTypePoolResponse: Content, Equatable {
    let id: UUID
    let name: String
    let retired: Bool
}

/// A message type as the administrator sees it; the `ETag` of one type carries `version`.
struct AdminMessageTypeResponse: Content, Equatable {
    let id: UUID
    let name: String
    let description: String
    /// Order in the lists patients see, from 0.
    let position: Int
    /// Of `patient`, `proxy`, `care_team`.
    let startedBy: [String]
    /// Providers with an active care relationship with the patient.
    let offersCareTeam: Bool
    let pools: [AdminMessageTypePoolResponse]
    let allowsConfidentiality: Bool
    let allowsAttachments: Bool
    let retired: Bool
    let version: Int
}

/// Creating a type (absent fields take their defaults) or changing one (`PATCH`: absent fields stay as they are).
struct AdminMessageTypeInput: Content, Sendable {
    var name: String?
    var description: String?
    var startedBy: [String]?
    var offersCareTeam: Bool?
    var poolIds: [UUID]?
    var allowsConfidentiality: Bool?
    var allowsAttachments: Bool?
}

/// Every type of the organisation, retired ones included, in the order wanted.
struct AdminMessageTypeOrderInput: Content, Sendable {
    var ids: [UUID]?
}

/// Moving one type to a place in the list, from 0.
struct AdminMessageTypeMoveInput: Content, Sendable {
    var position: Int?
}
