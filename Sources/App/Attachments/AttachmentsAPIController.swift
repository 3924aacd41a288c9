import Vapor

/// Attachments under `/api/v1`: upload into a draft (the body is the file, streamed), remove, download.
struct AttachmentsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.on(.POST, "drafts", ":draftID", "attachments", body: .stream, use: upload)
        routes.delete("drafts", ":draftID", "attachments", ":attachmentID", use: remove)
        routes.get("attachments", ":attachmentID", use: download)
    }

    /// `POST /drafts/{id}/attachments?filename=scan.pdf` with the file as the body.
    @Sendable func upload(request: Request) async throws -> Response {
        let filename = (try? request.query.get(String.self, at: "filename")) ?? ""
        let attachment = try await request.attachments().upload(
            toDraft: try request.uuidParameter("draftID"), filename: filename, body: request.body)
        return try await attachment.encodeResponse(status: .created, for: request)
    }

    @Sendable func remove(request: Request) async throws -> HTTPStatus {
        try await request.attachments().remove(
            try request.uuidParameter("attachmentID"), fromDraft: try request.uuidParameter("draftID"))
        return .noContent
    }

    /// Always a download, never shown in the page: `attachment` disposition, no sniffing, a policy that loads and runs
    /// nothing, and readable by this site only (no other site may embed it).
    @Sendable func download(request: Request) async throws -> Response {
        let (attachment, content) = try await request.attachments().download(try request.uuidParameter("attachmentID"))
        let response = Response(status: .ok, body: .init(data: content))
        response.headers.replaceOrAdd(name: .contentType, value: attachment.contentType)
        response.headers.replaceOrAdd(name: .contentDisposition, value: Self.disposition(attachment.filename))
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; sandbox")
        response.headers.replaceOrAdd(name: "Cross-Origin-Resource-Policy", value: "same-origin")
        return response
    }

    /// RFC 6266: an ASCII fallback and the exact name as UTF-8 in `filename*`.
    static func disposition(_ filename: String) -> String {
        let fallback = String(
            filename.unicodeScalars.map {
                $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_"
            })
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "!#$&+-.^_`|~")
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: allowed) ?? "attachment"
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}

extension Request {
    func attachments() async throws -> AttachmentService {
        AttachmentService(
            messaging: try await messagingStore(), blobs: application.blobStore, scanning: application.virusScanning,
            uploadRate: application.uploadRate)
    }
}
