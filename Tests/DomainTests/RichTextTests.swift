import Domain
import Foundation
import Testing

private func text(_ string: String, _ marks: Set<RichTextMark> = [], link: String? = nil) -> RichTextInline {
    .text(string, marks: marks, link: link)
}

private func paragraph(_ string: String) -> RichTextBlock { .paragraph([text(string)]) }

private func document(_ blocks: RichTextBlock...) -> RichTextDocument { RichTextDocument(blocks: blocks) }

private func decode(_ json: String) throws -> RichTextDocument {
    try JSONDecoder().decode(RichTextDocument.self, from: Data(json.utf8))
}

private func encode(_ document: RichTextDocument) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(document), as: UTF8.self)
}

/// `depth` bullet lists, each the only item of the one around it, with a paragraph at the bottom.
private func nestedListsJSON(depth: Int) -> String {
    var json = #"{"type":"paragraph","content":[{"type":"text","text":"deep"}]}"#
    for _ in 0..<depth {
        json = #"{"type":"bullet_list","content":[{"type":"list_item","content":["# + json + "]}]}"
    }
    return #"{"type":"doc","content":["# + json + "]}"
}

private func nestedLists(depth: Int) -> RichTextDocument {
    var block = paragraph("deep")
    for _ in 0..<depth { block = .bulletList([[block]]) }
    return document(block)
}

private let exampleJSON = """
    {"type":"doc","content":[
      {"type":"paragraph","content":[
         {"type":"text","text":"Hello ","marks":["bold","italic"]},
         {"type":"text","text":"my portal","marks":["underline"],"link":"https://example.org/a?b=1"},
         {"type":"hard_break"},
         {"type":"text","text":"second line"}]},
      {"type":"bullet_list","content":[
         {"type":"list_item","content":[{"type":"paragraph","content":[{"type":"text","text":"one"}]},
            {"type":"ordered_list","content":[
               {"type":"list_item","content":[{"type":"paragraph","content":[{"type":"text","text":"one a"}]}]},
               {"type":"list_item","content":[{"type":"paragraph","content":[{"type":"text","text":"one b"}]}]}]}]}]},
      {"type":"ordered_list","content":[
         {"type":"list_item","content":[{"type":"paragraph","content":[{"type":"text","text":"first"}]}]}]}
    ]}
    """

private let example = document(
    .paragraph([
        text("Hello ", [.bold, .italic]), text("my portal", [.underline], link: "https://example.org/a?b=1"),
        .hardBreak, text("second line"),
    ]),
    .bulletList([[paragraph("one"), .orderedList([[paragraph("one a")], [paragraph("one b")]])]]),
    .orderedList([[paragraph("first")]])
)

private let linkAttributes = #"rel="noopener noreferrer nofollow" target="_blank""#

struct RichTextCodingTests {
    @Test func theExampleDecodesAndRoundTrips() throws {
        let decoded = try decode(exampleJSON)
        #expect(decoded == example)
        #expect(try decode(try encode(decoded)) == example)
    }

    @Test func aSmallDocumentEncodesToExactlyTheWireShape() throws {
        let small = document(
            .paragraph([text("Hi ", [.underline, .bold]), text("there", link: "https://example.org/x"), .hardBreak]),
            .paragraph([]),
            .orderedList([[paragraph("one")]])
        )
        let expected =
            #"{"content":[{"content":[{"marks":["bold","underline"],"text":"Hi ","type":"text"},"#
            + #"{"link":"https://example.org/x","text":"there","type":"text"},{"type":"hard_break"}],"#
            + #""type":"paragraph"},{"content":[],"type":"paragraph"},{"content":[{"content":[{"content":"#
            + #"[{"text":"one","type":"text"}],"type":"paragraph"}],"type":"list_item"}],"type":"ordered_list"}],"#
            + #""type":"doc"}"#
        #expect(try encode(small) == expected)
    }

    @Test func absentContentMarksAndLinkReadAsEmpty() throws {
        let json =
            #"{"type":"doc","content":[{"type":"paragraph"},{"type":"paragraph","content":[]},"#
            + #"{"type":"paragraph","content":[{"type":"text","text":"x","marks":[]}]}]}"#
        #expect(try decode(json) == document(.paragraph([]), .paragraph([]), paragraph("x")))
    }

    @Test(arguments: [
        #"{"type":"doc","content":[{"type":"heading","content":[]}]}"#,
        #"{"type":"doc","content":[{"type":"paragraph","content":[{"type":"image","src":"x"}]}]}"#,
        #"{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":["strike"]}]}]}"#,
        #"{"type":"doc","content":[{"type":"text","text":"text is not a block"}]}"#,
        #"{"type":"doc","content":[{"type":"paragraph","content":[{"type":"paragraph","content":[]}]}]}"#,
        #"{"type":"doc","content":[{"type":"bullet_list","content":[{"type":"paragraph","content":[]}]}]}"#,
        #"{"type":"doc","content":[{"type":"list_item","content":[]}]}"#,
        #"{"type":"paragraph","content":[]}"#,
        #"{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text"}]}]}"#,
        #"{"type":"doc","content":[{"content":[]}]}"#,
        #"{"type":"doc","content":{"type":"paragraph"}}"#,
    ])
    func malformedOrUnknownNodesFailToDecode(json: String) {
        #expect(throws: DecodingError.self) { try decode(json) }
    }

    @Test func hostileDeepNestingFailsToDecodeWithoutExhaustingTheStack() {
        #expect(throws: (any Error).self) { try decode(nestedListsJSON(depth: 200)) }
        #expect(throws: (any Error).self) { try decode(nestedListsJSON(depth: 5_000)) }
    }

    @Test(arguments: [
        (1, true), (RichTextDocument.maxDecodedListDepth, true), (RichTextDocument.maxDecodedListDepth + 1, false),
    ])
    func decodingStopsAtTheListDepthLimit(depth: Int, decodes: Bool) throws {
        let json = nestedListsJSON(depth: depth)
        if decodes {
            #expect(try decode(json) == nestedLists(depth: depth))
        } else {
            #expect(throws: DecodingError.self) { try decode(json) }
        }
    }
}

struct RichTextFromPlainTextTests {
    @Test(arguments: [
        ("a\n\nb", [paragraph("a"), paragraph("b")]),
        ("a\nb", [.paragraph([text("a"), .hardBreak, text("b")])]),
        ("a\r\nb\r\n\r\nc", [.paragraph([text("a"), .hardBreak, text("b")]), paragraph("c")]),
        ("a\rb\r\rc", [.paragraph([text("a"), .hardBreak, text("b")]), paragraph("c")]),
        ("\n \n\ta\n \t\n\n\nb\n\n  ", [paragraph("\ta"), paragraph("b")]),
        ("  indented\nline  ", [.paragraph([text("  indented"), .hardBreak, text("line  ")])]),
        ("", []),
        (" \n\t\r\n", []),
    ])
    func plainTextBecomesParagraphsAndHardBreaks(plain: String, blocks: [RichTextBlock]) {
        #expect(RichTextDocument(plainText: plain) == RichTextDocument(blocks: blocks))
    }

    @Test(arguments: ["one", "one\ntwo", "one\n\ntwo\nthree"])
    func plainTextSurvivesTheRoundTrip(plain: String) {
        #expect(RichTextDocument(plainText: plain).plainText == plain)
    }
}

struct RichTextValidationTests {
    @Test(arguments: [
        document(), document(.paragraph([])), document(paragraph(" \n\t ")), RichTextDocument(plainText: " \n\n "),
        document(.paragraph([.hardBreak, text("  ", [.bold])])), document(.bulletList([[], [paragraph(" ")]])),
    ])
    func aBodyWithNothingToReadIsEmpty(body: RichTextDocument) {
        #expect(throws: RichTextDocument.ValidationError.empty) { try body.validate() }
    }

    /// (body, limits, the error), each body one past its limit.
    @Test(arguments: [
        (
            document(paragraph("abcdef")), RichTextDocument.Limits(maxCharacters: 5, maxNodes: 10, maxDepth: 1),
            RichTextDocument.ValidationError.tooLong(max: 5)
        ),
        (document(paragraph(String(repeating: "x", count: 20_001))), .standard, .tooLong(max: 20_000)),
        (
            document(.paragraph([text("a"), text("b"), text("c")])), .init(maxCharacters: 10, maxNodes: 3, maxDepth: 1),
            .tooManyNodes(max: 3)
        ),
        (
            document(.bulletList([[paragraph("a")]])), .init(maxCharacters: 10, maxNodes: 3, maxDepth: 1),
            .tooManyNodes(max: 3)
        ),
        (document(.paragraph(Array(repeating: text("x"), count: 2_000))), .standard, .tooManyNodes(max: 2_000)),
        (nestedLists(depth: 3), .init(maxCharacters: 10, maxNodes: 10, maxDepth: 2), .tooDeep(max: 2)),
        (nestedLists(depth: 5), .standard, .tooDeep(max: 4)),
    ])
    func aBodyOverALimitIsRefused(
        body: RichTextDocument, limits: RichTextDocument.Limits, error: RichTextDocument.ValidationError
    ) {
        #expect(throws: error) { try body.validate(limits: limits) }
    }

    /// Characters are counted as a reader sees them, so an accented letter or a toned emoji is one.
    @Test func aBodyAtEveryLimitIsAccepted() throws {
        let limits = RichTextDocument.Limits(maxCharacters: 5, maxNodes: 4, maxDepth: 1)
        try document(.bulletList([[.paragraph([text("e\u{301}👍🏽abc")])]])).validate(limits: limits)
        try nestedLists(depth: 4).validate()
        try document(.paragraph(Array(repeating: text("x"), count: 1_999))).validate()
    }

    @Test(arguments: [
        "https://example.org", "http://example.org/a?b=1#c", "HTTPS://EXAMPLE.ORG/", "mailto:care@example.org",
        "MailTo:care@example.org?subject=Hi", "https://user@example.org:8443/x", "https://[::1]:8080/",
        #"https://example.org/?q="x""#, "https://bücher.example/",
    ])
    func httpHttpsAndMailtoLinksAreAccepted(link: String) throws {
        try document(.paragraph([text("see", link: link)])).validate()
    }

    /// (link, what the error names): the scheme when there is one, never the whole URL.
    @Test(arguments: [
        ("javascript:alert(1)", "javascript"), ("JaVaScRiPt:alert(document.cookie)", "javascript"),
        (" javascript:alert(1)", "invalid"), ("java\tscript:alert(1)", "invalid"),
        ("javascript\u{0}:alert(1)", "invalid"), ("data:text/html,<script>alert(1)</script>", "data"),
        ("vbscript:msgbox(1)", "vbscript"), ("file:///etc/passwd", "file"), ("//evil.example", "invalid"),
        ("/relative", "invalid"), ("relative/path", "invalid"), ("", "invalid"), ("https://", "invalid"),
        ("https:example.org", "invalid"), ("https://user@/x", "invalid"), ("https://:443/", "invalid"),
        ("https:\\\\evil.example", "invalid"), ("https://exa mple.org", "invalid"),
        ("https://example.org/\u{202E}gpj.exe", "invalid"), ("https://example.org\n", "invalid"),
        ("mailto:", "invalid"), ("1http://example.org", "invalid"), ("\u{212A}ttps://example.org", "invalid"),
    ])
    func otherLinksAreUnsafe(link: String, named: String) {
        let body = document(.paragraph([text("click"), text("here", link: link)]))
        #expect(throws: RichTextDocument.ValidationError.unsafeLink(named)) { try body.validate() }
    }

    @Test(arguments: [
        "a\u{0}b", "a\u{202E}cod.exe", "\u{2066}x\u{2069}", "\u{202A}x", "del\u{7F}", "a\rb", "\u{1B}[31m",
    ])
    func controlAndBidiCharactersAreRefused(content: String) {
        #expect(throws: RichTextDocument.ValidationError.controlCharacters) {
            try document(.paragraph([text("ok "), text(content, [.bold])])).validate()
        }
    }

    @Test func tabsAndNewlinesInTextAreFine() throws {
        try document(paragraph("dose:\t5 mg\ntwice a day")).validate()
    }

    @Test func problemsAreReportedInAFixedOrder() {
        let tooLongAndUnsafe = document(.paragraph([text("abcdef", link: "javascript:x")]))
        let limits = RichTextDocument.Limits(maxCharacters: 5, maxNodes: 10, maxDepth: 1)
        #expect(throws: RichTextDocument.ValidationError.tooLong(max: 5)) {
            try tooLongAndUnsafe.validate(limits: limits)
        }
        #expect(throws: RichTextDocument.ValidationError.empty) {
            try document(.paragraph([text(" ", link: "javascript:x")])).validate()
        }
    }
}

struct RichTextHTMLTests {
    @Test func theExampleRendersAsFixedTags() {
        #expect(
            example.html
                == "<p><strong><em>Hello </em></strong>"
                + #"<a href="https://example.org/a?b=1" \#(linkAttributes)><u>my portal</u></a><br>second line</p>"#
                + "<ul><li><p>one</p><ol><li><p>one a</p></li><li><p>one b</p></li></ol></li></ul>"
                + "<ol><li><p>first</p></li></ol>")
    }

    @Test(arguments: [
        (#"<script>alert("x")</script>"#, "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("Tom & Jerry's", "<p>Tom &amp; Jerry&#39;s</p>"),
        ("&lt;already&gt;", "<p>&amp;lt;already&amp;gt;</p>"),
    ])
    func textIsEscaped(content: String, html: String) {
        let rendered = document(paragraph(content)).html
        #expect(rendered == html)
        #expect(!rendered.contains("<script") && !rendered.contains("<img"))
    }

    @Test func aQuoteInAnHrefIsEscaped() {
        let body = document(.paragraph([text("x", link: #"https://example.org/?q="><script>'"#)]))
        #expect(
            body.html
                == #"<p><a href="https://example.org/?q=&quot;&gt;&lt;script&gt;&#39;" \#(linkAttributes)>x</a></p>"#)
    }

    @Test(arguments: ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil.example", "https://"])
    func anUnsafeLinkRendersAsPlainText(link: String) {
        #expect(document(.paragraph([text("click", [.bold], link: link)])).html == "<p><strong>click</strong></p>")
    }

    @Test func marksNestInAFixedOrderInsideTheLink() {
        let body = document(.paragraph([text("x", [.underline, .italic, .bold], link: "mailto:a@example.org")]))
        #expect(
            body.html
                == #"<p><a href="mailto:a@example.org" \#(linkAttributes)><strong><em><u>x</u></em></strong></a></p>"#)
    }

    @Test func textUnderOneLinkSharesOneAnchor() {
        let link = "https://example.org"
        let body = document(.paragraph([text("my ", [.bold], link: link), text("portal", link: link), text("!")]))
        #expect(body.html == #"<p><a href="\#(link)" \#(linkAttributes)><strong>my </strong>portal</a>!</p>"#)
    }

    @Test func listsAndHardBreaksUseTheirTags() {
        let body = document(
            .orderedList([[.paragraph([text("a"), .hardBreak, text("b")])], []]), .paragraph([]),
            .bulletList([[.bulletList([[paragraph("c")]])]]))
        #expect(
            body.html
                == "<ol><li><p>a<br>b</p></li><li></li></ol><p></p><ul><li><ul><li><p>c</p></li></ul></li></ul>")
    }

    /// Every tag in the output is one of ours, and every href is http, https or mailto, whatever the text and link.
    @Test(
        arguments: [
            #"<script>alert("x")</script>"#, "<img src=x onerror=alert(1)>", #""><svg onload=alert(1)>"#,
            "' onmouseover='alert(1)", "</p><iframe src=javascript:alert(1)>", "<a href=\"javascript:alert(1)\">x</a>",
        ],
        [
            "javascript:alert(1)", #"https://example.org/"onmouseover="alert(1)"#, "https://example.org/'><script>",
            "data:text/html;base64,PHNjcmlwdD4=", "\u{0}javascript:alert(1)", "jav&#x09;ascript:alert(1)",
        ])
    func hostileInputProducesOnlyAllowedMarkup(content: String, link: String) {
        let html = document(.paragraph([text(content, [.bold], link: link), text(content)])).html
        let allowed: Set<Substring> = ["p", "/p", "br", "strong", "/strong", "em", "/em", "u", "/u", "/a"]
        for piece in html.split(separator: "<").dropFirst() {
            let tag = piece.prefix { $0 != ">" }
            if allowed.contains(tag) { continue }
            #expect(tag.hasPrefix(#"a href="https://"#) && tag.hasSuffix(linkAttributes), "unexpected <\(tag)>")
            #expect(!tag.dropFirst(#"a href=""#.count).dropLast(linkAttributes.count + 2).contains("\""))
        }
    }
}

struct RichTextPlainTextTests {
    @Test func theExampleReadsAsPlainText() {
        #expect(
            example.plainText
                == "Hello my portal (https://example.org/a?b=1)\nsecond line\n\n- one\n  1. one a\n  2. one b\n\n1. first"
        )
    }

    @Test(arguments: [
        (document(paragraph("a"), .paragraph([]), paragraph("b")), "a\n\nb"),
        (
            document(.paragraph([text("bold", [.bold]), .hardBreak, text("next", [.italic, .underline])])), "bold\nnext"
        ),
        (document(.paragraph([text("portal", link: "https://example.org")])), "portal (https://example.org)"),
        (document(.paragraph([text("https://example.org", link: "https://example.org")])), "https://example.org"),
        (
            document(
                .paragraph([
                    text("my ", [.bold], link: "mailto:a@b.example"), text("inbox", link: "mailto:a@b.example"),
                ])),
            "my inbox (mailto:a@b.example)"
        ),
        (document(.paragraph([text("click", link: "javascript:alert(1)")])), "click"),
    ])
    func paragraphsAndLinksReadAsPlainText(body: RichTextDocument, plain: String) {
        #expect(body.plainText == plain)
    }

    @Test(arguments: [
        (document(.bulletList([[paragraph("one")], [paragraph("two")]])), "- one\n- two"),
        (
            document(.orderedList((1...10).map { [paragraph("item \($0)")] })),
            (1...10).map { "\($0). item \($0)" }.joined(separator: "\n")
        ),
        (
            document(
                .bulletList([
                    [paragraph("one"), .orderedList([[paragraph("a")], [.bulletList([[paragraph("deep")]])]])]
                ])),
            "- one\n  1. a\n  2. - deep"
        ),
        (
            document(
                .orderedList([[.paragraph([text("first"), .hardBreak, text("second")]), paragraph("more")], []])),
            "1. first\n  second\n  more\n2."
        ),
        (document(paragraph("intro"), .bulletList([[paragraph("x")]]), paragraph("outro")), "intro\n\n- x\n\noutro"),
    ])
    func listsReadAsMarkedIndentedLines(body: RichTextDocument, plain: String) {
        #expect(body.plainText == plain)
    }
}
