extension RichTextDocument {
    /// The body as HTML, the one string pages may insert unescaped. Built only from fixed tags and escaped text, and
    /// links are checked again here, so a stored document that skipped or predates validation still cannot run
    /// script: an unsafe link renders as its plain text.
    public var html: String {
        var html = ""
        RichTextHTML.append(blocks, to: &html)
        return html
    }
}

/// Writes `<p>`, `<br>`, `<strong>`, `<em>`, `<u>`, `<ul>`, `<ol>`, `<li>` and `<a>`, and nothing else.
enum RichTextHTML {
    /// Links open in a new tab without giving the page a handle on the portal (`noopener`), without telling it where
    /// the reader came from (`noreferrer`: portal URLs can name a conversation), and without vouching for it to search
    /// engines (`nofollow`).
    static let linkAttributes = #"rel="noopener noreferrer nofollow" target="_blank""#

    /// Marks nest in one fixed order so equal documents always render to equal HTML.
    static let markTags: [(mark: RichTextMark, tag: String)] = [(.bold, "strong"), (.italic, "em"), (.underline, "u")]

    static func append(_ blocks: [RichTextBlock], to html: inout String) {
        for block in blocks {
            switch block {
            case .paragraph(let inlines):
                html += "<p>"
                append(inlines, to: &html)
                html += "</p>"
            case .bulletList(let items):
                append(items, tag: "ul", to: &html)
            case .orderedList(let items):
                append(items, tag: "ol", to: &html)
            }
        }
    }

    private static func append(_ items: [[RichTextBlock]], tag: String, to html: inout String) {
        html += "<\(tag)>"
        for item in items {
            html += "<li>"
            append(item, to: &html)
            html += "</li>"
        }
        html += "</\(tag)>"
    }

    private static func append(_ inlines: [RichTextInline], to html: inout String) {
        for segment in RichTextSegment.segments(of: inlines) {
            switch segment {
            case .hardBreak:
                html += "<br>"
            case .text(let spans, let link):
                if let link { html += #"<a href="\#(escaped(link))" \#(linkAttributes)>"# }
                for span in spans {
                    let tags = markTags.filter { span.marks.contains($0.mark) }.map(\.tag)
                    html += tags.map { "<\($0)>" }.joined()
                    html += escaped(span.text)
                    html += tags.reversed().map { "</\($0)>" }.joined()
                }
                if link != nil { html += "</a>" }
            }
        }
    }

    /// The five characters that can end text or an attribute value; the same set Leaf escapes.
    static func escaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
