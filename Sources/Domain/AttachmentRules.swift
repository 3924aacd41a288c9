import Foundation

/// The kinds of file a message may carry, recognised by their content, never by their name or the sender's claim.
public enum AttachmentKind: String, CaseIterable, Sendable, Codable {
    case pdf, png, jpeg, gif, heic, text, docx, xlsx

    public var contentType: String {
        switch self {
        case .pdf: "application/pdf"
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .gif: "image/gif"
        case .heic: "image/heic"
        case .text: "text/plain"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    }

    /// File name endings that may carry this kind.
    public var extensions: [String] {
        switch self {
        case .pdf: ["pdf"]
        case .png: ["png"]
        case .jpeg: ["jpg", "jpeg"]
        case .gif: ["gif"]
        case .heic: ["heic", "heif"]
        case .text: ["txt", "text"]
        case .docx: ["docx"]
        case .xlsx: ["xlsx"]
        }
    }

    public var label: String {
        switch self {
        case .pdf: "PDF"
        case .png: "PNG image"
        case .jpeg: "JPEG image"
        case .gif: "GIF image"
        case .heic: "HEIC image"
        case .text: "plain text"
        case .docx: "Word document"
        case .xlsx: "Excel workbook"
        }
    }

    /// Raster images a browser may show inline; nothing else (never SVG or HTML) is ever previewed.
    public var isRasterImage: Bool { [.png, .jpeg, .gif].contains(self) }
}

/// Recognises a file by its first bytes (up to 64 KiB is enough for every kind here).
public enum ContentSniffer {
    public static let prefixLength = 64 * 1024

    public enum Finding: Equatable, Sendable {
        case kind(AttachmentKind)
        /// HTML, SVG or XML: refused even when it would pass as text, since a browser could run it.
        case markup
        case unknown
    }

    public static func identify(_ prefix: [UInt8]) -> Finding {
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            prefix.count >= offset + bytes.count && Array(prefix[offset..<offset + bytes.count]) == bytes
        }
        if starts(Array("%PDF-".utf8)) { return .kind(.pdf) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .kind(.png) }
        if starts([0xFF, 0xD8, 0xFF]) { return .kind(.jpeg) }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .kind(.gif) }
        if starts(Array("ftyp".utf8), at: 4),
            ["heic", "heix", "hevc", "hevx", "mif1", "msf1", "heim", "heis"].contains(where: {
                starts(Array($0.utf8), at: 8)
            })
        {
            return .kind(.heic)
        }
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            if contains(Array("word/".utf8)) { return .kind(.docx) }
            if contains(Array("xl/".utf8)) { return .kind(.xlsx) }
            return .unknown
        }
        return textFinding()

        func contains(_ needle: [UInt8]) -> Bool {
            guard prefix.count >= needle.count else { return false }
            return (0...(prefix.count - needle.count)).contains { Array(prefix[$0..<$0 + needle.count]) == needle }
        }

        func textFinding() -> Finding {
            guard !prefix.isEmpty else { return .unknown }
            // A multi-byte character may be cut at the end of the prefix; drop up to three trailing bytes to decode.
            var decoded: String?
            for cut in 0...min(3, prefix.count - 1) where decoded == nil {
                decoded = String(validating: prefix.dropLast(cut), as: UTF8.self)
            }
            guard let text = decoded else { return .unknown }
            let allowedControls: Set<UInt32> = [0x09, 0x0A, 0x0C, 0x0D]
            guard
                !text.unicodeScalars.contains(where: {
                    ($0.value < 0x20 && !allowedControls.contains($0.value)) || $0.value == 0x7F
                })
            else { return .unknown }
            let lowered = text.lowercased()
            let markers = [
                "<html", "<script", "<svg", "<!doctype", "<?xml", "<body", "<iframe", "<head", "<img", "<a ",
            ]
            if markers.contains(where: lowered.contains) { return .markup }
            return .kind(.text)
        }
    }
}

/// The organisation's limits on attachments.
public struct AttachmentLimits: Sendable, Equatable {
    public let maxFiles: Int
    public let maxFileBytes: Int
    public let maxMessageBytes: Int
    public let allowed: Set<AttachmentKind>

    public init(maxFiles: Int, maxFileBytes: Int, maxMessageBytes: Int, allowed: Set<AttachmentKind>) {
        self.maxFiles = maxFiles
        self.maxFileBytes = maxFileBytes
        self.maxMessageBytes = maxMessageBytes
        self.allowed = allowed
    }

    public static let standard = AttachmentLimits(
        maxFiles: 5, maxFileBytes: 10_000_000, maxMessageBytes: 25_000_000, allowed: Set(AttachmentKind.allCases))
}

/// Whether one more file may join a message's attachments. Each refusal names the rule it breaks.
public enum AttachmentRules {
    public enum Refusal: Error, Equatable, Sendable {
        case empty
        case fileTooLarge(maxBytes: Int)
        case tooManyFiles(max: Int)
        case messageTooLarge(maxBytes: Int)
        case markup
        case unrecognised
        case kindNotAllowed(AttachmentKind)
        case nameDoesNotMatch(kind: AttachmentKind)
        /// The image declares more pixels than may be decoded safely.
        case imageTooLarge(maxPixels: Int)
        /// The Word or Excel file would expand too far when opened: a decompression bomb, or near enough.
        case archiveTooLarge(kind: AttachmentKind)
        /// The file's structure does not read as its kind: damaged, cut short or crafted.
        case unreadable(kind: AttachmentKind)

        public var message: String {
            switch self {
            case .empty: "The file is empty."
            case .fileTooLarge(let max): "Each file can be at most \(AttachmentRules.megabytes(max))."
            case .tooManyFiles(let max): "A message can have at most \(max) attachments."
            case .messageTooLarge(let max):
                "A message's attachments can add up to at most \(AttachmentRules.megabytes(max))."
            case .markup: "Web pages, SVG images and other markup files can't be attached."
            case .unrecognised:
                "This type of file can't be attached. You can attach PDF, PNG, JPEG, GIF, HEIC, plain text, Word (.docx) and Excel (.xlsx) files."
            case .kindNotAllowed(let kind): "Your organisation does not accept \(kind.label) attachments."
            case .nameDoesNotMatch(let kind):
                "The file's name does not match its content: it is a \(kind.label), so its name must end in "
                    + kind.extensions.map { "." + $0 }.joined(separator: " or ") + "."
            case .imageTooLarge(let max):
                "This image is too large to accept: it declares more than \(max / 1_000_000) megapixels."
            case .archiveTooLarge(let kind):
                "This \(kind.label) can't be accepted: it would expand to far more than its own size when opened. "
                    + "Try saving it again, or send it as a PDF."
            case .unreadable(let kind):
                "This \(kind.label) could not be read: it may be damaged or incomplete. "
                    + "Try saving it again and attaching the new copy."
            }
        }
    }

    /// - Parameters:
    ///   - filename: the cleaned display name.
    ///   - finding: what the content is.
    ///   - size: the file's size in bytes.
    ///   - existing: sizes of the files already attached to the same message.
    public static func check(
        filename: String, finding: ContentSniffer.Finding, size: Int, existing: [Int], limits: AttachmentLimits
    ) throws(Refusal) -> AttachmentKind {
        if size == 0 { throw .empty }
        if size > limits.maxFileBytes { throw .fileTooLarge(maxBytes: limits.maxFileBytes) }
        if existing.count >= limits.maxFiles { throw .tooManyFiles(max: limits.maxFiles) }
        if existing.reduce(size, +) > limits.maxMessageBytes {
            throw .messageTooLarge(maxBytes: limits.maxMessageBytes)
        }
        let kind: AttachmentKind
        switch finding {
        case .markup: throw .markup
        case .unknown: throw .unrecognised
        case .kind(let found): kind = found
        }
        guard limits.allowed.contains(kind) else { throw .kindNotAllowed(kind) }
        let ending = filename.split(separator: ".").count > 1 ? filename.split(separator: ".").last!.lowercased() : ""
        guard kind.extensions.contains(ending) else { throw .nameDoesNotMatch(kind: kind) }
        return kind
    }

    public static func megabytes(_ bytes: Int) -> String {
        bytes % 1_000_000 == 0 ? "\(bytes / 1_000_000) MB" : "\(bytes) bytes"
    }
}

/// A filename fit to show: no folders, no control or direction-changing characters, at most 120 characters with its
/// ending kept. It is only ever shown; storage paths come from the content's hash.
public enum DisplayFilename {
    public static func clean(_ raw: String) -> String {
        let lastComponent = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let scalars = lastComponent.unicodeScalars.filter { scalar in
            !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x200B...0x200F).contains(scalar.value)
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
                || scalar.value == 0xFEFF)
        }
        var name = String(String.UnicodeScalarView(scalars)).trimmingCharacters(in: .whitespaces)
        // A leading dot hides a file; a leading dash reads as an option to a command that is handed the name.
        while let first = name.first, first == "." || first == "-" || first.isWhitespace { name.removeFirst() }
        if name.isEmpty { return "attachment" }
        if name.count > 120 {
            let parts = name.split(separator: ".")
            let ending = parts.count > 1 && parts.last!.count <= 10 ? "." + parts.last! : ""
            name = String(name.prefix(120 - ending.count)) + ending
        }
        return name
    }
}
