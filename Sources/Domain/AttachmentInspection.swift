/// What a whole file's structure must satisfy, beyond its first bytes: decompression bombs are refused before anyone
/// opens them (issue 12, item 17).
extension AttachmentRules {
    /// The most pixels an image may declare: 50 megapixels.
    public static let maxImagePixels = 50_000_000
    /// The most bytes a Word or Excel file's contents may declare in all: 100 MB.
    public static let maxExpandedBytes = 100_000_000
    /// How many times its own size a Word or Excel file's contents may declare.
    public static let maxExpansionRatio = 100
    /// The most files a Word or Excel file may hold.
    public static let maxArchiveEntries = 10_000

    /// Refuses PNG, JPEG and GIF images over 50 megapixels and Word or Excel files that expand too far, and any of
    /// those whose structure does not read; other kinds pass. Reads sizes from headers only, never decoding.
    public static func inspect(_ bytes: [UInt8], kind: AttachmentKind) throws(Refusal) {
        switch kind {
        case .png, .jpeg, .gif:
            guard let pixels = ImageHeader.pixelCount(of: bytes, kind: kind) else { throw .unreadable(kind: kind) }
            if pixels > maxImagePixels { throw .imageTooLarge(maxPixels: maxImagePixels) }
        case .docx, .xlsx:
            guard let archive = ZipDirectory.summary(of: bytes) else { throw .unreadable(kind: kind) }
            let (ratioLimit, overflow) = bytes.count.multipliedReportingOverflow(by: maxExpansionRatio)
            if archive.entryCount > maxArchiveEntries || archive.expandedBytes > maxExpandedBytes
                || (!overflow && archive.expandedBytes > ratioLimit)
            {
                throw .archiveTooLarge(kind: kind)
            }
        case .pdf, .heic, .text:
            return
        }
    }
}
