extension RichTextDocument {
    /// A document from plain text, for API clients that send plain text. A run of blank (empty or whitespace-only)
    /// lines separates paragraphs and a single newline becomes a hard break; `\r\n` and `\r` count as `\n`. Blank lines
    /// at either end are dropped, so text with nothing but whitespace gives a document with no blocks (which
    /// validation refuses as empty).
    public init(plainText: String) {
        var paragraphs: [[String]] = [[]]
        for line in Self.lines(of: plainText) {
            if line.allSatisfy(\.isWhitespace) {
                if !paragraphs[paragraphs.count - 1].isEmpty { paragraphs.append([]) }
            } else {
                paragraphs[paragraphs.count - 1].append(line)
            }
        }
        let blocks = paragraphs.filter { !$0.isEmpty }.map { lines in
            RichTextBlock.paragraph(
                lines.enumerated().flatMap { index, line -> [RichTextInline] in
                    let text = RichTextInline.text(line, marks: [], link: nil)
                    return index == 0 ? [text] : [.hardBreak, text]
                })
        }
        self.init(blocks: blocks)
    }

    /// The body as plain text, for notifications, search and API clients: paragraphs separated by a blank line, a hard
    /// break as a newline, list items as "- " or "1. ", nested lists and an item's further lines indented two spaces
    /// per level, a link as "text (url)" unless the text is the URL. Marks are dropped, and so are unsafe links (their
    /// text stays), for the same reason the HTML drops them: a notification is no place for a `javascript:` URL.
    public var plainText: String {
        RichTextPlainText.render(blocks).joined(separator: "\n\n")
    }

    /// Splits on `\n`, `\r\n` and `\r`. Works on scalars because Swift reads `\r\n` as one `Character`.
    private static func lines(of text: String) -> [String] {
        var normalized = String.UnicodeScalarView()
        var afterCarriageReturn = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                normalized.append("\n")
            } else if !(scalar == "\n" && afterCarriageReturn) {
                normalized.append(scalar)
            }
            afterCarriageReturn = scalar == "\r"
        }
        return String(normalized).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

enum RichTextPlainText {
    /// One string per block, leaving out blocks with no text (an empty paragraph would only add blank lines).
    static func render(_ blocks: [RichTextBlock]) -> [String] {
        blocks.map(render).filter { !$0.isEmpty }
    }

    private static func render(_ block: RichTextBlock) -> String {
        switch block {
        case .paragraph(let inlines): text(of: inlines)
        case .bulletList(let items): list(items) { _ in "- " }
        case .orderedList(let items): list(items) { "\($0 + 1). " }
        }
    }

    /// An item's blocks sit on consecutive lines; the first takes the marker and the rest are indented two spaces,
    /// which is also what indents a nested list one level further.
    private static func list(_ items: [[RichTextBlock]], marker: (Int) -> String) -> String {
        items.enumerated().map { index, item in
            let lines = render(item).joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            return lines.enumerated().map { lineIndex, line in
                if lineIndex == 0 { return line.isEmpty ? String(marker(index).dropLast()) : marker(index) + line }
                return line.isEmpty ? "" : "  " + line
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    private static func text(of inlines: [RichTextInline]) -> String {
        RichTextSegment.segments(of: inlines).map { segment in
            guard case .text(let spans, let link) = segment else { return "\n" }
            let text = spans.map(\.text).joined()
            guard let link, text != link else { return text }
            return "\(text) (\(link))"
        }.joined()
    }
}
