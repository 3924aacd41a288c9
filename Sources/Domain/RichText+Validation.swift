extension RichTextDocument {
    /// How big a body may be. Bodies arrive from patients and from API clients, so every dimension is bounded.
    public struct Limits: Equatable, Sendable {
        /// Characters (grapheme clusters, as a reader counts them) across all text.
        public var maxCharacters: Int
        /// Blocks, list items and inline pieces together.
        public var maxNodes: Int
        /// How many lists may sit inside one another; a list at the top level is depth 1.
        public var maxDepth: Int

        public init(maxCharacters: Int, maxNodes: Int, maxDepth: Int) {
            self.maxCharacters = maxCharacters
            self.maxNodes = maxNodes
            self.maxDepth = maxDepth
        }

        public static let standard = Limits(maxCharacters: 20_000, maxNodes: 2_000, maxDepth: 4)
    }

    /// Why a body was refused. No case carries the body's text or a whole URL, so these are safe to log and show.
    public enum ValidationError: Error, Equatable, Sendable {
        case empty
        case tooLong(max: Int)
        case tooManyNodes(max: Int)
        case tooDeep(max: Int)
        /// The link's scheme (lower-cased), or "invalid" when it is not an absolute URL this renderer would link.
        case unsafeLink(String)
        case controlCharacters
    }

    /// Throws one problem, checked in this order: empty, too long, too many nodes, too deep, control characters, then
    /// the first unsafe link in reading order. The order is fixed so the same body always gets the same answer.
    public func validate(limits: Limits = .standard) throws(ValidationError) {
        var tally = Tally()
        tally.count(blocks, listDepth: 0)
        if !tally.hasVisibleText { throw .empty }
        if tally.characters > limits.maxCharacters { throw .tooLong(max: limits.maxCharacters) }
        if tally.nodes > limits.maxNodes { throw .tooManyNodes(max: limits.maxNodes) }
        if tally.deepestList > limits.maxDepth { throw .tooDeep(max: limits.maxDepth) }
        if tally.hasControlCharacters { throw .controlCharacters }
        if let problem = tally.firstLinkProblem { throw .unsafeLink(problem) }
    }

    /// Everything `validate` needs, gathered in one walk over the document.
    private struct Tally {
        var characters = 0
        var nodes = 0
        var deepestList = 0
        var hasVisibleText = false
        var hasControlCharacters = false
        var firstLinkProblem: String?

        mutating func count(_ blocks: [RichTextBlock], listDepth: Int) {
            for block in blocks {
                nodes += 1
                switch block {
                case .paragraph(let inlines):
                    inlines.forEach { count($0) }
                case .bulletList(let items), .orderedList(let items):
                    deepestList = max(deepestList, listDepth + 1)
                    nodes += items.count
                    items.forEach { count($0, listDepth: listDepth + 1) }
                }
            }
        }

        mutating func count(_ inline: RichTextInline) {
            nodes += 1
            guard case .text(let text, _, let link) = inline else { return }
            characters += text.count
            hasVisibleText = hasVisibleText || text.contains { !$0.isWhitespace }
            hasControlCharacters = hasControlCharacters || text.unicodeScalars.contains(where: Self.isForbiddenInText)
            if firstLinkProblem == nil, let link {
                firstLinkProblem = SafeLink.problem(with: link)
            }
        }

        /// C0 controls other than newline and tab, DEL, and the bidi overrides and isolates, which can make text read
        /// differently from how it is stored (a "Trojan Source" reordering of a link or a dose).
        static func isForbiddenInText(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09, 0x0A: false
            case 0x00...0x1F, 0x7F, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }
    }
}

/// The one rule for what may become a link, used by validation and again by both renderers, so that even a document
/// that was never validated cannot produce a `javascript:` href.
enum SafeLink {
    static let schemes: Set<String> = ["http", "https", "mailto"]

    /// Nil when `link` is safe; otherwise its lower-cased scheme, or "invalid" when it has no usable scheme or is
    /// malformed. Parsed by hand rather than with `URL(string:)`, whose leniency (percent-encoding bad characters,
    /// accepting a missing host) differs between platforms and releases.
    static func problem(with link: String) -> String? {
        let scalars = Array(link.unicodeScalars)
        guard !scalars.contains(where: isForbiddenInLink), let colon = scalars.firstIndex(of: ":") else {
            return "invalid"
        }
        let rawScheme = String(String.UnicodeScalarView(scalars[..<colon]))
        // Checked before lower-casing, because some non-ASCII letters lower-case to ASCII (the Kelvin sign to "k").
        guard isScheme(rawScheme) else { return "invalid" }
        let scheme = rawScheme.lowercased()
        guard schemes.contains(scheme) else { return scheme }
        let rest = String(String.UnicodeScalarView(scalars[(colon + 1)...]))
        if scheme == "mailto" { return rest.isEmpty ? "invalid" : nil }
        return hasHost(rest) ? nil : "invalid"
    }

    /// Whitespace, controls and invisible format characters (bidi controls, zero-width spaces) never belong in a URL
    /// and are how browsers get tricked into reading ` javascript:` or `java\tscript:` as a scheme. A backslash is
    /// refused too: browsers read it as a slash, so the host a reader sees is not the one they would visit.
    private static func isForbiddenInLink(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator: true
        default: scalar.properties.isWhitespace || scalar == "\\"
        }
    }

    /// RFC 3986: a letter, then letters, digits, "+", "-" or "."; capped so that an error never carries a long string.
    private static func isScheme(_ candidate: String) -> Bool {
        guard let first = candidate.unicodeScalars.first, (1...32).contains(candidate.unicodeScalars.count) else {
            return false
        }
        let isLetter: (Unicode.Scalar) -> Bool = { $0.isASCII && $0.properties.isAlphabetic }
        return isLetter(first)
            && candidate.unicodeScalars.allSatisfy {
                isLetter($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)
            }
    }

    /// `//` then an authority whose host, after any `user@` and `:port`, is not empty.
    private static func hasHost(_ hierarchicalPart: String) -> Bool {
        guard hierarchicalPart.hasPrefix("//") else { return false }
        let authority = hierarchicalPart.dropFirst(2).prefix { !"/?#".contains($0) }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        if hostAndPort.hasPrefix("[") {
            return hostAndPort.contains("]") && !hostAndPort.hasPrefix("[]")
        }
        return !hostAndPort.prefix { $0 != ":" }.isEmpty
    }
}

/// A stretch of a paragraph that renders as one unit: consecutive text under the same safe link (or under none), or a
/// hard break. Grouping keeps one `<a>` (or one "(url)") per link however the sender's marks split its text.
enum RichTextSegment: Equatable {
    struct Span: Equatable {
        var text: String
        var marks: Set<RichTextMark>
    }

    case text([Span], link: String?)
    case hardBreak

    /// Unsafe links are dropped here, before either renderer sees them.
    static func segments(of inlines: [RichTextInline]) -> [RichTextSegment] {
        var segments: [RichTextSegment] = []
        var spans: [Span] = []
        var spansLink: String?
        func finishSpans() {
            if !spans.isEmpty { segments.append(.text(spans, link: spansLink)) }
            spans = []
        }
        for inline in inlines {
            guard case .text(let text, let marks, let rawLink) = inline else {
                finishSpans()
                segments.append(.hardBreak)
                continue
            }
            let link = rawLink.flatMap { SafeLink.problem(with: $0) == nil ? $0 : nil }
            if link != spansLink { finishSpans() }
            spansLink = link
            spans.append(Span(text: text, marks: marks))
        }
        finishSpans()
        return segments
    }
}
