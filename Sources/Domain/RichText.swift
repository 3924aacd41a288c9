/// A message body. Bodies are a small document model rather than client HTML so that the server can check every part
/// of one and write the HTML itself: nothing a sender types reaches a page except as escaped text or a checked link.
/// Stored and sent as JSON, `{"type":"doc","content":[…]}`; the `Codable` conformance below describes the shape.
public struct RichTextDocument: Equatable, Sendable {
    public var blocks: [RichTextBlock]

    public init(blocks: [RichTextBlock]) {
        self.blocks = blocks
    }
}

/// A paragraph or a list. A list item is a run of blocks, so an item can hold a paragraph and then a nested list.
public indirect enum RichTextBlock: Equatable, Sendable {
    case paragraph([RichTextInline])
    case bulletList([[RichTextBlock]])
    case orderedList([[RichTextBlock]])
}

/// A piece of a paragraph. A link is an attribute of text rather than a node around it, so a link can only ever
/// hold text.
public enum RichTextInline: Equatable, Sendable {
    case text(String, marks: Set<RichTextMark>, link: String?)
    case hardBreak
}

/// The only formatting a body may carry; anything else in received JSON is refused rather than dropped.
public enum RichTextMark: String, Codable, Sendable, CaseIterable {
    case bold
    case italic
    case underline
}

// MARK: - JSON

/// The wire and storage format:
/// `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"Hi","marks":["bold"]}]}]}`.
/// Lists are `bullet_list` / `ordered_list` holding `list_item`s, which hold blocks; a line break is `hard_break`.
/// Decoding walks the JSON by hand with a depth count instead of through nested `Decodable` types, so it can stop at
/// `maxDecodedListDepth` before recursing any further.
extension RichTextDocument: Codable {
    /// Lists nested deeper than this are refused while decoding, so a hostile body of thousands of nested lists fails
    /// cleanly instead of exhausting the stack. Well above `Limits.standard.maxDepth`; validation applies the real
    /// limit.
    public static let maxDecodedListDepth = 16

    private enum Key: String, CodingKey {
        case type, content, text, marks, link
    }

    private enum NodeType: String, Codable {
        case doc, paragraph, text
        case bulletList = "bullet_list"
        case orderedList = "ordered_list"
        case listItem = "list_item"
        case hardBreak = "hard_break"
    }

    public init(from decoder: any Decoder) throws {
        let node = try decoder.container(keyedBy: Key.self)
        try Self.expect(.doc, in: node)
        guard var content = try Self.content(of: node) else {
            self.init(blocks: [])
            return
        }
        self.init(blocks: try Self.decodeBlocks(from: &content, listDepth: 0))
    }

    public func encode(to encoder: any Encoder) throws {
        var node = encoder.container(keyedBy: Key.self)
        try node.encode(NodeType.doc, forKey: .type)
        var content = node.nestedUnkeyedContainer(forKey: .content)
        try Self.encode(blocks, into: &content)
    }

    // MARK: Decoding

    private static func expect(_ type: NodeType, in node: KeyedDecodingContainer<Key>) throws {
        guard try node.decode(NodeType.self, forKey: .type) == type else {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: node, debugDescription: "Expected a \(type.rawValue) node here")
        }
    }

    /// A missing or null `content` reads as empty, as editors omit it for an empty paragraph.
    private static func content(of node: KeyedDecodingContainer<Key>) throws -> (any UnkeyedDecodingContainer)? {
        guard node.contains(.content), try !node.decodeNil(forKey: .content) else { return nil }
        return try node.nestedUnkeyedContainer(forKey: .content)
    }

    private static func decodeBlocks(
        from content: inout any UnkeyedDecodingContainer, listDepth: Int
    ) throws -> [RichTextBlock] {
        var blocks: [RichTextBlock] = []
        while !content.isAtEnd {
            let node = try content.nestedContainer(keyedBy: Key.self)
            switch try node.decode(NodeType.self, forKey: .type) {
            case .paragraph:
                guard var inlines = try Self.content(of: node) else {
                    blocks.append(.paragraph([]))
                    continue
                }
                blocks.append(.paragraph(try decodeInlines(from: &inlines)))
            case .bulletList:
                blocks.append(.bulletList(try decodeListItems(of: node, listDepth: listDepth + 1)))
            case .orderedList:
                blocks.append(.orderedList(try decodeListItems(of: node, listDepth: listDepth + 1)))
            case .doc, .listItem, .text, .hardBreak:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: node, debugDescription: "Expected a paragraph or a list here")
            }
        }
        return blocks
    }

    private static func decodeListItems(
        of list: KeyedDecodingContainer<Key>, listDepth: Int
    ) throws -> [[RichTextBlock]] {
        guard listDepth <= maxDecodedListDepth else {
            throw DecodingError.dataCorruptedError(
                forKey: .content, in: list,
                debugDescription: "Lists are nested more than \(maxDecodedListDepth) deep")
        }
        guard var content = try Self.content(of: list) else { return [] }
        var items: [[RichTextBlock]] = []
        while !content.isAtEnd {
            let item = try content.nestedContainer(keyedBy: Key.self)
            try expect(.listItem, in: item)
            guard var blocks = try Self.content(of: item) else {
                items.append([])
                continue
            }
            items.append(try decodeBlocks(from: &blocks, listDepth: listDepth))
        }
        return items
    }

    private static func decodeInlines(from content: inout any UnkeyedDecodingContainer) throws -> [RichTextInline] {
        var inlines: [RichTextInline] = []
        while !content.isAtEnd {
            let node = try content.nestedContainer(keyedBy: Key.self)
            switch try node.decode(NodeType.self, forKey: .type) {
            case .text:
                let marks = try node.decodeIfPresent([RichTextMark].self, forKey: .marks) ?? []
                let link = try node.decodeIfPresent(String.self, forKey: .link)
                inlines.append(.text(try node.decode(String.self, forKey: .text), marks: Set(marks), link: link))
            case .hardBreak:
                inlines.append(.hardBreak)
            case .doc, .paragraph, .bulletList, .orderedList, .listItem:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: node, debugDescription: "Expected text or a hard break here")
            }
        }
        return inlines
    }

    // MARK: Encoding

    private static func encode(_ blocks: [RichTextBlock], into content: inout any UnkeyedEncodingContainer) throws {
        for block in blocks {
            var node = content.nestedContainer(keyedBy: Key.self)
            switch block {
            case .paragraph(let inlines):
                try node.encode(NodeType.paragraph, forKey: .type)
                var children = node.nestedUnkeyedContainer(forKey: .content)
                try encode(inlines, into: &children)
            case .bulletList(let items):
                try node.encode(NodeType.bulletList, forKey: .type)
                try encode(items, into: &node)
            case .orderedList(let items):
                try node.encode(NodeType.orderedList, forKey: .type)
                try encode(items, into: &node)
            }
        }
    }

    private static func encode(_ items: [[RichTextBlock]], into list: inout KeyedEncodingContainer<Key>) throws {
        var content = list.nestedUnkeyedContainer(forKey: .content)
        for blocks in items {
            var item = content.nestedContainer(keyedBy: Key.self)
            try item.encode(NodeType.listItem, forKey: .type)
            var children = item.nestedUnkeyedContainer(forKey: .content)
            try encode(blocks, into: &children)
        }
    }

    /// `marks` and `link` are written only when present, and marks always in the order bold, italic, underline, so the
    /// same document always encodes to the same bytes.
    private static func encode(_ inlines: [RichTextInline], into content: inout any UnkeyedEncodingContainer) throws {
        for inline in inlines {
            var node = content.nestedContainer(keyedBy: Key.self)
            switch inline {
            case .text(let text, let marks, let link):
                try node.encode(NodeType.text, forKey: .type)
                try node.encode(text, forKey: .text)
                if !marks.isEmpty {
                    try node.encode(RichTextMark.allCases.filter(marks.contains), forKey: .marks)
                }
                try node.encodeIfPresent(link, forKey: .link)
            case .hardBreak:
                try node.encode(NodeType.hardBreak, forKey: .type)
            }
        }
    }
}
