import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// What an upload must get past before it is stored: the virus scanner, size and expansion limits, location data,
/// the upload rate and the storage quota (issue 12, items 16–18).
@Suite struct UploadSafetyTests {
    /// A draft of Alex's to upload into, on an app configured by `adjust`.
    func withDraft(
        adjust: @escaping (inout AppConfig) -> Void = { _ in }, _ body: (DemoAPI, APIClient, UUID) async throws -> Void
    ) async throws {
        try await withDemoAPI(adjust: adjust) { demo in
            let alex = try await demo.client("alex")
            let draft: DraftResponse = try await alex.send(
                .POST, "/drafts",
                json: [
                    "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                    "recipient": demo.ids.provider("mchen"), "subject": "Photo", "body": "Attached",
                ]
            ).decode()
            try await body(demo, alex, draft.id)
        }
    }

    func storedAttachments(_ app: Application) async throws -> Int {
        try await Attachment.query(on: app.db).count()
    }

    static let clamd = ProcessInfo.processInfo.environment["CAREBOX_CLAMD"]

    /// Needs Debian's clamd with the EICAR signature (`scripts/clamd`, started by `scripts/test`).
    @Test(.enabled(if: clamd != nil)) func eicarIsRefusedByTheAPIAndOnThePageAndNothingIsStored() async throws {
        let address = try ClamdAddress(parsing: Self.clamd!)
        try await withDraft(adjust: { $0.clamd = address }) { demo, alex, draft in
            let refused = try await alex.upload(UploadFiles.eicar, named: "notes.txt", to: draft)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.json["code"] as? String == "attachment_infected")
            #expect(try await storedAttachments(demo.app) == 0)

            let clean = try await alex.upload(Array("Blood pressure 120/80".utf8), named: "notes.txt", to: draft)
            #expect(clean.status == .created)

            let browser = demo.browser.newWindow()
            try await browser.signIn("alex")
            let page = try await browser.postMultipart(
                "/messages",
                fields: [
                    "draft_id": draft.uuidString, "draft_version": "1", "subject": "Photo", "body_text": "Attached",
                    "message_type": demo.ids.types["General Message"]!.uuidString, "action": "attach",
                ], file: ("attachment", "eicar.txt", UploadFiles.eicar))
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.contains("contains a virus"))
            #expect(try await storedAttachments(demo.app) == 1)
        }
    }

    @Test func aScannerThatCannotBeReachedRefusesFilesUnlessSetToLetThemThrough() async throws {
        let nobody = ClamdAddress.tcp(host: "127.0.0.1", port: 9)
        try await withDraft(adjust: { $0.clamd = nobody }) { demo, alex, draft in
            let refused = try await alex.upload(UploadFiles.png(), named: "photo.png", to: draft)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.json["code"] as? String == "scanner_unavailable")
            #expect(try await storedAttachments(demo.app) == 0)
        }
        try await withDraft(adjust: { ($0.clamd, $0.clamdFailure) = (nobody, .open) }) { demo, alex, draft in
            let accepted = try await alex.upload(UploadFiles.png(), named: "photo.png", to: draft)
            #expect(accepted.status == .created)
        }
    }

    @Test func anImageDeclaringMoreThanFiftyMegapixelsIsRefusedWithoutBeingDecoded() async throws {
        try await withDraft { demo, alex, draft in
            let bomb = try await alex.upload(UploadFiles.png(width: 10_000, height: 5_001), named: "big.png", to: draft)
            #expect(bomb.status == .unprocessableEntity)
            #expect((bomb.json["detail"] as? String)?.contains("50 megapixels") == true)
            let fine = try await alex.upload(UploadFiles.png(width: 10_000, height: 5_000), named: "ok.png", to: draft)
            #expect(fine.status == .created)
            #expect(try await storedAttachments(demo.app) == 1)
        }
    }

    /// Many patients do not know their photos say where they live.
    @Test func whereAPhotoWasTakenIsRemovedAndTheSenderIsTold() async throws {
        try await withDraft { demo, alex, draft in
            let original = UploadFiles.jpegWithLocation()
            let attached: AttachmentResponse = try await alex.upload(original, named: "rash.jpg", to: draft).decode()
            #expect(attached.locationRemoved)
            let stored = try await alex.get("/attachments/\(attached.id)").bytes
            #expect(stored.count == original.count)
            #expect(stored != original)
            // The latitude's rationals (41/1, 52/1, 3/1) are gone; the orientation (6) is kept.
            #expect(!stored.containsRun([41, 0, 0, 0, 1, 0, 0, 0, 52, 0, 0, 0]))
            #expect(stored.containsRun([0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00]))

            let browser = demo.browser.newWindow()
            try await browser.signIn("alex")
            let page = try await browser.get("/messages/new?draft=\(draft)")
            #expect(page.body.contains("Location removed: where this photo was taken is no longer in the file."))

            let plain: AttachmentResponse = try await alex.upload(UploadFiles.png(), named: "p.png", to: draft).decode()
            #expect(!plain.locationRemoved)
        }
    }

    @Test func uploadsBeyondTheRateAreRefusedForAMinute() async throws {
        try await withDraft(adjust: { $0.uploadsPerMinute = 3 }) { demo, alex, draft in
            for attempt in 1...3 {
                let name = "scan\(attempt).pdf"
                #expect(try await alex.upload(AttachmentTests.pdf, named: name, to: draft).status != .tooManyRequests)
            }
            let fourth = try await alex.upload(AttachmentTests.pdf, named: "scan4.pdf", to: draft)
            #expect(fourth.status == .tooManyRequests)
            #expect(fourth.json["code"] as? String == "too_many_uploads")
            // Another person is not held back by Alex's uploads.
            let jordan = try await demo.client("jordan")
            let theirs: DraftResponse = try await jordan.send(
                .POST, "/drafts",
                json: [
                    "messageTypeId": demo.ids.types["General Message"]!.uuidString,
                    "recipient": demo.ids.provider("mchen"), "body": "Hi",
                ]
            ).decode()
            #expect(try await jordan.upload(AttachmentTests.pdf, named: "a.pdf", to: theirs.id).status == .created)
        }
    }

    @Test func theOrganisationsStorageQuotaHolds() async throws {
        try await withDraft { demo, alex, draft in
            let organization = try await Organization.query(on: demo.app.db).first()!
            organization.attachmentQuotaBytes = 100
            try await organization.save(on: demo.app.db)
            demo.app.organizations = OrganizationCache()

            #expect(try await alex.upload(AttachmentTests.pdf, named: "a.pdf", to: draft).status == .created)
            let over = try await alex.upload(AttachmentTests.pdf, named: "b.pdf", to: draft)
            #expect(over.status == .unprocessableEntity)
            #expect(over.json["code"] as? String == "attachment_quota_reached")
            #expect(try await storedAttachments(demo.app) == 1)
        }
    }
}

extension [UInt8] {
    func containsRun(_ run: [UInt8]) -> Bool {
        guard count >= run.count else { return false }
        return (0...(count - run.count)).contains { Array(self[$0..<$0 + run.count]) == run }
    }
}
