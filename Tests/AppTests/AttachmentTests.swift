import Fluent
import Foundation
import NIOCore
import Testing
import Vapor

@testable import App

/// Attachments through the API on a real blob directory: what is refused, who may download, what is stored.
@Suite struct AttachmentTests {
    static let pdf = Array("%PDF-1.4\n% Carebox test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)
    static let png = UploadFiles.png()

    struct World {
        let app: Application
        let browser: TestBrowser
        let ids: DemoIDs
        let alex: APIClient
        let draft: UUID

        func client(_ username: String) async throws -> APIClient {
            try await APIClient.signedIn(username, app: app, browser: browser)
        }
    }

    func withDraft(_ body: (World) async throws -> Void) async throws {
        try await withDemo { app in
            let ids = try await DemoIDs.load(app.db)
            try await TestBrowser.open(app) { browser in
                let alex = try await APIClient.signedIn("alex", app: app, browser: browser)
                let draft: DraftResponse = try await alex.send(
                    .POST, "/drafts",
                    json: [
                        "messageTypeId": ids.types["General Message"]!.uuidString, "recipient": ids.provider("mchen"),
                        "subject": "Results", "body": "Attached",
                    ]
                ).decode()
                try await body(World(app: app, browser: browser, ids: ids, alex: alex, draft: draft.id))
            }
        }
    }

    @Test func anAttachedPDFIsSentWithTheDraftAndDownloadsByteForByte() async throws {
        try await withDraft { world in
            let uploaded = try await world.alex.upload(Self.pdf, named: "lab results.pdf", to: world.draft)
            #expect(uploaded.status == .created)
            let attachment: AttachmentResponse = try uploaded.decode()
            #expect(attachment.contentType == "application/pdf")
            #expect(attachment.size == Self.pdf.count)

            let sent = try await world.alex.send(.POST, "/drafts/\(world.draft)/send")
            let conversation: ConversationResponse = try sent.decode()
            #expect(conversation.messages.first?.attachments.map(\.id) == [attachment.id])

            let download = try await world.alex.get("/attachments/\(attachment.id)")
            #expect(download.status == .ok)
            #expect(download.bytes == Self.pdf)
            #expect(download.headers.first(name: .contentType) == "application/pdf")
            #expect(
                download.headers.first(name: .contentDisposition)
                    == "attachment; filename=\"lab results.pdf\"; filename*=UTF-8''lab%20results.pdf")
            #expect(download.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(download.headers.first(name: "Content-Security-Policy") == "default-src 'none'; sandbox")
            #expect(download.headers.first(name: .cacheControl) == "no-store")
            let actions = try await AuditEvent.query(on: world.app.db).all(\.$action)
            #expect(actions.contains("attachment.upload") && actions.contains("attachment.download"))

            // Stored encrypted: the plain text appears nowhere in the blob directory.
            let stored = try Self.storedFiles(world.app).map { try Data(contentsOf: $0) }
            #expect(stored.count == 1)
            #expect(stored.allSatisfy { $0.range(of: Data("Carebox test".utf8)) == nil })
        }
    }

    /// (name, content, claimed type, expected status, code)
    @Test(
        arguments: [
            ("notes.pdf", Array("just some text\n".utf8), "application/pdf", 422, "name must end in .txt"),
            (
                "page.png", Array("<!doctype html><html><script>alert(1)</script></html>".utf8), "image/png", 422,
                "markup"
            ),
            (
                "drawing.svg", Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8),
                "image/svg+xml", 422, "markup"
            ),
            ("empty.pdf", [], "application/pdf", 422, "The file is empty."),
            ("program.pdf", [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0], "application/pdf", 422, "can't be attached"),
        ] as [(String, [UInt8], String, UInt, String)])
    func aFileIsJudgedByItsContent(name: String, bytes: [UInt8], claimed: String, status: UInt, detail: String)
        async throws
    {
        try await withDraft { world in
            let reply = try await world.alex.upload(bytes, named: name, to: world.draft, claiming: claimed)
            #expect(reply.status.code == status)
            #expect((reply.json["detail"] as? String)?.contains(detail) == true, "\(reply.body)")
            #expect(reply.json["field"] as? String == "file")
            #expect(try await Attachment.query(on: world.app.db).count() == 0)
        }
    }

    @Test(arguments: [
        ("../../etc/passwd.pdf", "passwd.pdf"), ("scan\u{202E}fdp.exe.pdf", "scanfdp.exe.pdf"),
        (#"C:\Users\alex\scan.pdf"#, "scan.pdf"), ("-rf.pdf", "rf.pdf"),
    ])
    func filenamesAreCleanedAndNeverAPath(raw: String, shown: String) async throws {
        try await withDraft { world in
            let attachment: AttachmentResponse = try await world.alex.upload(Self.pdf, named: raw, to: world.draft)
                .decode()
            #expect(attachment.filename == shown)
            let files = try Self.storedFiles(world.app).map(\.lastPathComponent)
            #expect(files.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
        }
    }

    @Test func theLimitsOnCountAndTotalSizeHold() async throws {
        try await withDraft { world in
            let organization = try await Organization.query(on: world.app.db).first()!
            organization.attachmentMaxFiles = 2
            organization.attachmentMaxMessageBytes = 200
            try await organization.save(on: world.app.db)
            // Settings are cached for a short while; a change applies once that has passed.
            (world.app.config.clock as! ManualClock).advance(by: OrganizationCache.lifetime)
            let first = try await world.alex.upload(Self.png, named: "a.png", to: world.draft)
            #expect(first.status == .created)
            let tooMuch = try await world.alex.upload(Self.png + Self.png, named: "b.png", to: world.draft)
            #expect(tooMuch.status == .payloadTooLarge)
            #expect((tooMuch.json["detail"] as? String)?.contains("add up to at most") == true)
            #expect(try await world.alex.upload(Self.png, named: "b.png", to: world.draft).status == .created)
            let third = try await world.alex.upload(Self.png, named: "c.png", to: world.draft)
            #expect(third.status == .unprocessableEntity)
            #expect((third.json["detail"] as? String)?.contains("at most 2 attachments") == true)
        }
    }

    @Test func anOversizeStreamedUploadIsCutOffWithoutGrowingMemory() async throws {
        try await withDraft { world in
            let before = Self.residentBytes()
            let chunk = ByteBuffer(bytes: Self.pdf + Array(repeating: 0x20, count: 64 * 1024 - Self.pdf.count))
            // 60 MB, six times the per-file limit, produced chunk by chunk and never held whole by anyone.
            let chunks = AsyncStream<ByteBuffer> { continuation in
                for _ in 0..<(60 * 1_000_000 / (64 * 1024)) { continuation.yield(chunk) }
                continuation.finish()
            }
            let reply = try await world.browser.stream(
                .POST, "/api/v1/drafts/\(world.draft)/attachments?filename=huge.pdf", chunks: chunks,
                headers: ["Authorization": "Bearer \(world.alex.token!)"])
            let grown = Self.residentBytes() - before
            #expect(reply.status == .payloadTooLarge)
            #expect(reply.body.contains("Each file can be at most 10 MB."))
            #expect(grown < 40_000_000, "resident memory grew by \(grown) bytes")
            #expect(try await Attachment.query(on: world.app.db).count() == 0)
            #expect(try Self.storedFiles(world.app).isEmpty)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: world.app.config.blobDirectory + "/tmp").isEmpty)
        }
    }

    @Test func noOneWhoCannotSeeTheConversationCanDownload() async throws {
        try await withDraft { world in
            let confidential: DraftResponse = try await world.alex.send(
                .POST, "/drafts",
                json: [
                    "messageTypeId": world.ids.types["General Message"]!.uuidString,
                    "recipient": world.ids.provider("mchen"), "confidential": true, "body": "Private",
                ]
            ).decode()
            let secret: AttachmentResponse = try await world.alex.upload(
                Self.pdf, named: "private.pdf", to: confidential.id
            )
            .decode()
            let ordinary: AttachmentResponse = try await world.alex.upload(Self.pdf, named: "x.pdf", to: world.draft)
                .decode()

            // While a draft: its owner only.
            for username in ["jordan", "mchen", "lpark", "ntorres"] {
                let other = try await world.client(username)
                #expect(try await other.get("/attachments/\(ordinary.id)").status == .notFound, "\(username)")
            }
            _ = try await world.alex.send(.POST, "/drafts/\(world.draft)/send")
            _ = try await world.alex.send(.POST, "/drafts/\(confidential.id)/send")

            let jordan = try await world.client("jordan")
            #expect(try await jordan.get("/attachments/\(ordinary.id)").status == .ok)
            #expect(try await jordan.get("/attachments/\(secret.id)").status == .notFound)
            let chen = try await world.client("mchen")
            #expect(try await chen.get("/attachments/\(secret.id)").status == .ok)
            for username in ["lpark", "ntorres", "admin"] {
                let other = try await world.client(username)
                #expect(try await other.get("/attachments/\(ordinary.id)").status == .notFound, "\(username)")
            }
        }
    }

    @Test func aTamperedBlobFailsWithAClearErrorAndTheServerCarriesOn() async throws {
        try await withDraft { world in
            let attachment: AttachmentResponse = try await world.alex.upload(
                Self.pdf, named: "scan.pdf", to: world.draft
            )
            .decode()
            let file = try #require(try Self.storedFiles(world.app).first)
            var bytes = try [UInt8](Data(contentsOf: file))
            bytes[bytes.count - 20] ^= 0x01
            try Data(bytes).write(to: file)

            let download = try await world.alex.get("/attachments/\(attachment.id)")
            #expect(download.status == .internalServerError)
            #expect(download.json["code"] as? String == "attachment_damaged")
            #expect(!download.body.contains("Carebox test"))
            #expect(try await world.alex.get("/message-types").status == .ok)
        }
    }

    @Test func aRemovedFileIsGoneAndCleanUpDeletesItsBlob() async throws {
        try await withDraft { world in
            let attachment: AttachmentResponse = try await world.alex.upload(Self.png, named: "a.png", to: world.draft)
                .decode()
            let removed = try await world.alex.send(.DELETE, "/drafts/\(world.draft)/attachments/\(attachment.id)")
            #expect(removed.status == .noContent)
            #expect(try Self.storedFiles(world.app).count == 1)
            #expect(try await BlobCleanup.run(world.app, now: Date().addingTimeInterval(60)) == 0)
            #expect(try await BlobCleanup.run(world.app, now: Date().addingTimeInterval(7200)) == 1)
            #expect(try Self.storedFiles(world.app).isEmpty)
        }
    }

    static func storedFiles(_ app: Application) throws -> [URL] {
        let root = URL(fileURLWithPath: app.config.blobDirectory)
        let manager = FileManager.default
        return try manager.contentsOfDirectory(atPath: root.path).filter { $0.count == 2 }.flatMap { folder in
            try manager.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
                .map { root.appendingPathComponent(folder).appendingPathComponent($0) }
        }
    }

    /// This process's resident memory, from /proc: the server under test runs in it.
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}
