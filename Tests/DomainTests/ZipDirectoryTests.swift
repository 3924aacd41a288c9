import Domain
import Testing

struct ZipDirectoryTests {
    typealias Entry = ZipFixture.Entry

    func inspect(_ archive: [UInt8], kind: AttachmentKind = .docx) -> AttachmentRules.Refusal? {
        do throws(AttachmentRules.Refusal) {
            try AttachmentRules.inspect(archive, kind: kind)
            return nil
        } catch {
            return error
        }
    }

    @Test func aSmallDocumentIsSummedAndAccepted() {
        let archive = ZipFixture.document.build()
        let summary = ZipDirectory.summary(of: archive)
        #expect(summary?.entryCount == 2)
        #expect(summary?.expandedBytes == 8 + 43)
        #expect(inspect(archive) == nil)
        #expect(inspect(archive, kind: .xlsx) == nil)
    }

    @Test func aCommentAfterTheEndRecordIsAllowed() {
        var archive = ZipFixture.document
        archive.comment = Bytes.ascii("Exported by the clinic scanner")
        #expect(ZipDirectory.summary(of: archive.build())?.entryCount == 2)
    }

    @Test func aDirectoryClaiming200MBIsRefused() {
        let archive = ZipFixture(entries: [
            Entry("[Content_Types].xml", Bytes.ascii("<Types/>")),
            Entry("word/document.xml", [UInt8](repeating: 0x55, count: 1_000), declaredSize: 200_000_000),
        ]).build()
        #expect(ZipDirectory.summary(of: archive)?.expandedBytes == 200_000_008)
        #expect(inspect(archive) == .archiveTooLarge(kind: .docx))
    }

    @Test func expandingToMoreThanAHundredTimesItsSizeIsRefused() {
        func archive(expandingTo size: Int) -> [UInt8] {
            ZipFixture(entries: [Entry("xl/workbook.xml", [UInt8](repeating: 0x55, count: 100), declaredSize: size)])
                .build()
        }
        let fileSize = archive(expandingTo: 0).count
        #expect(inspect(archive(expandingTo: 150 * fileSize), kind: .xlsx) == .archiveTooLarge(kind: .xlsx))
        #expect(inspect(archive(expandingTo: 100 * fileSize), kind: .xlsx) == nil)
        #expect(inspect(archive(expandingTo: 100 * fileSize + 1), kind: .xlsx) == .archiveTooLarge(kind: .xlsx))
    }

    @Test func moreThanTenThousandEntriesAreRefused() {
        let entries = (0...10_000).map { Entry("word/media/\($0).xml", [1]) }
        let archive = ZipFixture(entries: entries).build()
        #expect(ZipDirectory.summary(of: archive)?.entryCount == 10_001)
        #expect(inspect(archive) == .archiveTooLarge(kind: .docx))
        #expect(inspect(ZipFixture(entries: Array(entries.prefix(10_000))).build()) == nil)
    }

    @Test func aCutShortArchiveDoesNotParse() {
        let archive = ZipFixture.document.build()
        for length in 0..<archive.count {
            #expect(ZipDirectory.summary(of: Array(archive.prefix(length))) == nil, "cut at \(length)")
        }
        #expect(inspect(Array(archive.dropLast(3))) == .unreadable(kind: .docx))
    }

    @Test func aDirectoryThatHidesEntriesBeyondItsCountDoesNotParse() {
        var archive = ZipFixture.document
        archive.claimedCount = 1
        #expect(ZipDirectory.summary(of: archive.build()) == nil)
    }

    @Test func entriesSharingOneLocalHeaderDoNotParse() {
        var archive = ZipFixture.document
        archive.shareFirstLocalHeader = true
        #expect(ZipDirectory.summary(of: archive.build()) == nil)
    }

    @Test func zip64SizesAreReadFromTheirRecordsAndExtraFields() {
        var archive = ZipFixture.document
        archive.zip64 = true
        #expect(ZipDirectory.summary(of: archive.build()) == ZipDirectory.summary(of: ZipFixture.document.build()))
        #expect(inspect(archive.build()) == nil)
    }

    @Test func aZip64EntryClaimingFiveGigabytesIsRefused() {
        let archive = ZipFixture(
            entries: [Entry("word/document.xml", [UInt8](repeating: 0x55, count: 5_000), declaredSize: 5_000_000_000)],
            zip64: true
        ).build()
        #expect(ZipDirectory.summary(of: archive)?.expandedBytes == 5_000_000_000)
        #expect(inspect(archive) == .archiveTooLarge(kind: .docx))
    }

    @Test func saturatedFieldsWithoutZip64RecordsDoNotParse() {
        var archive = ZipFixture.document
        archive.zip64 = true
        archive.omitZip64Records = true
        #expect(ZipDirectory.summary(of: archive.build()) == nil)
        #expect(inspect(archive.build()) == .unreadable(kind: .docx))
    }

    @Test func theRefusalsSayWhyInPlainWords() {
        #expect(
            AttachmentRules.Refusal.archiveTooLarge(kind: .xlsx).message
                == "This Excel workbook can't be accepted: it would expand to far more than its own size when opened. Try saving it again, or send it as a PDF."
        )
        #expect(
            AttachmentRules.Refusal.unreadable(kind: .docx).message
                == "This Word document could not be read: it may be damaged or incomplete. Try saving it again and attaching the new copy."
        )
    }

    @Test func damagedArchivesNeverTrap() {
        var zip64 = ZipFixture.document
        zip64.zip64 = true
        var random = SeededGenerator(state: 7)
        for archive in [ZipFixture.document.build(), zip64.build()] {
            for _ in 0..<2_000 { _ = ZipDirectory.summary(of: random.damaged(archive)) }
        }
    }

    @Test func otherKindsAreNotOpenedAsArchives() {
        #expect(inspect(Bytes.ascii("%PDF-1.7"), kind: .pdf) == nil)
        #expect(inspect(Bytes.ascii("notes"), kind: .text) == nil)
        #expect(inspect([0, 0, 0, 24], kind: .heic) == nil)
    }
}
