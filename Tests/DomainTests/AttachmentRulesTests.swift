import Domain
import Testing

struct AttachmentRulesTests {
    static let pdf = Array("%PDF-1.7\n1 0 obj\n".utf8)
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16]
    static let gif = Array("GIF89a".utf8) + [1, 0]
    static let heic: [UInt8] = [0, 0, 0, 24] + Array("ftypheic".utf8) + [0, 0, 0, 0]
    static let docx: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array("....[Content_Types].xml....word/document.xml".utf8)
    static let xlsx: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array("....[Content_Types].xml....xl/workbook.xml".utf8)
    static let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array("....notes/readme.md".utf8)
    static let text = Array("Blood pressure log\nMon 120/80\n".utf8)
    static let html = Array("<!DOCTYPE html><html><script>alert(1)</script></html>".utf8)
    static let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
    static let binary: [UInt8] = [0x00, 0x01, 0x02, 0xFE]

    @Test(arguments: [
        (pdf, ContentSniffer.Finding.kind(.pdf)), (png, .kind(.png)), (jpeg, .kind(.jpeg)), (gif, .kind(.gif)),
        (heic, .kind(.heic)), (docx, .kind(.docx)), (xlsx, .kind(.xlsx)), (zip, .unknown), (text, .kind(.text)),
        (html, .markup), (svg, .markup), (binary, .unknown), ([], .unknown),
    ])
    func contentDecidesTheKind(bytes: [UInt8], finding: ContentSniffer.Finding) {
        #expect(ContentSniffer.identify(bytes) == finding)
    }

    @Test func textCutInTheMiddleOfACharacterIsStillText() {
        let text = Array("café au lait".utf8)
        #expect(ContentSniffer.identify(Array(text.prefix(4))) == .kind(.text))
    }

    /// (name, content, size, already attached, outcome)
    @Test(
        arguments: [
            ("scan.pdf", pdf, 100, [Int](), nil),
            ("photo.JPG", jpeg, 100, [], nil),
            ("notes.txt", text, 100, [], nil),
            ("empty.pdf", pdf, 0, [], AttachmentRules.Refusal.empty),
            ("big.pdf", pdf, 10_000_001, [], .fileTooLarge(maxBytes: 10_000_000)),
            ("six.pdf", pdf, 100, [1, 1, 1, 1, 1], .tooManyFiles(max: 5)),
            ("third.pdf", pdf, 9_000_000, [9_000_000, 8_000_000], .messageTooLarge(maxBytes: 25_000_000)),
            ("invoice.pdf", text, 100, [], .nameDoesNotMatch(kind: .text)),
            ("picture.png", html, 100, [], .markup),
            ("drawing.svg", svg, 100, [], .markup),
            ("program.pdf", binary, 100, [], .unrecognised),
            ("archive.zip", zip, 100, [], .unrecognised),
            ("photo.png", jpeg, 100, [], .nameDoesNotMatch(kind: .jpeg)),
            ("no-ending", pdf, 100, [], .nameDoesNotMatch(kind: .pdf)),
        ] as [(String, [UInt8], Int, [Int], AttachmentRules.Refusal?)])
    func eachLimitAndRuleIsEnforced(
        name: String, bytes: [UInt8], size: Int, existing: [Int], refusal: AttachmentRules.Refusal?
    ) {
        let outcome = Result { () throws(AttachmentRules.Refusal) -> AttachmentKind in
            try AttachmentRules.check(
                filename: name, finding: ContentSniffer.identify(bytes), size: size, existing: existing,
                limits: .standard)
        }
        switch (outcome, refusal) {
        case (.success, nil): break
        case (.failure(let actual), let expected?): #expect(actual == expected)
        default: Issue.record("\(name): expected \(String(describing: refusal)), got \(outcome)")
        }
    }

    @Test func aRefusalForAMisnamedFileNamesTheRule() {
        #expect(
            AttachmentRules.Refusal.nameDoesNotMatch(kind: .text).message
                == "The file's name does not match its content: it is a plain text, so its name must end in .txt or .text."
        )
    }

    @Test(arguments: [
        ("../../etc/passwd", "passwd"), (#"C:\Users\alex\scan.pdf"#, "scan.pdf"),
        ("report\u{202E}fdp.exe", "reportfdp.exe"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"), ("...hidden.pdf", "hidden.pdf"), ("", "attachment"),
        ("/", "attachment"),
        (String(repeating: "a", count: 300) + ".pdf", String(repeating: "a", count: 116) + ".pdf"),
    ])
    func filenamesAreCleanedForDisplay(raw: String, cleaned: String) {
        #expect(DisplayFilename.clean(raw) == cleaned)
    }

    @Test(arguments: [
        ("--rf.pdf", "rf.pdf"), ("-.-x.pdf", "x.pdf"), (". - .-scan.pdf", "scan.pdf"), ("uploads/-n.txt", "n.txt"),
        ("-", "attachment"), ("-.", "attachment"), ("blood-test-results.pdf", "blood-test-results.pdf"),
        ("-" + String(repeating: "a", count: 300) + ".pdf", String(repeating: "a", count: 116) + ".pdf"),
    ])
    func aNameNeverStartsWithADashOrADot(raw: String, cleaned: String) {
        #expect(DisplayFilename.clean(raw) == cleaned)
    }

    @Test func onlyRasterImagesArePreviewable() {
        #expect(AttachmentKind.allCases.filter(\.isRasterImage) == [.png, .jpeg, .gif])
    }
}
