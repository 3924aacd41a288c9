import Fluent
import Foundation

/// A file attached to a draft (while it is written) or to a sent message. The content is a blob named by its hash;
/// the filename is for display only.
final class Attachment: Model, @unchecked Sendable {
    static let schema = "attachments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Parent(key: "uploader_id") var uploader: User
    @OptionalParent(key: "draft_id") var draft: Draft?
    @OptionalParent(key: "message_id") var message: Message?
    @Field(key: "blob_sha256") var blobSHA256: String
    @Field(key: "filename") var filename: String
    @Field(key: "content_type") var contentType: String
    @Field(key: "size_bytes") var sizeBytes: Int
    @Field(key: "created_at") var createdAt: Date
    /// Whether location data (EXIF GPS, PNG eXIf) was taken out before the file was stored.
    @Field(key: "location_removed") var locationRemoved: Bool

    /// Listed here rather than found by reflection on every row, Fluent's largest cost per row. A test checks the
    /// list against reflection.
    var properties: [any AnyProperty] {
        [
            $id, $organization, $uploader, $draft, $message, $blobSHA256, $filename, $contentType, $sizeBytes,
            $createdAt,
            $locationRemoved,
        ]
    }

    init() {}
}
