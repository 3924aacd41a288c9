/// Bounds-checked reads from untrusted bytes: a read that would leave them answers nil instead of trapping.
struct ByteReader {
    enum Order { case bigEndian, littleEndian }

    let bytes: [UInt8]
    let order: Order

    init(_ bytes: [UInt8], _ order: Order) {
        self.bytes = bytes
        self.order = order
    }

    func uint8(at offset: Int) -> Int? { bytes.indices.contains(offset) ? Int(bytes[offset]) : nil }

    func uint16(at offset: Int) -> Int? { unsigned(at: offset, width: 2).map(Int.init) }

    func uint32(at offset: Int) -> Int? { unsigned(at: offset, width: 4).flatMap { Int(exactly: $0) } }

    /// A 64-bit field; one beyond `Int.max` reads as `Int.max`, which every limit here refuses.
    func uint64(at offset: Int) -> Int? { unsigned(at: offset, width: 8).map { Int(clamping: $0) } }

    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        guard let range = Self.range(at: offset, length: expected.count, within: bytes.count) else { return false }
        return bytes[range].elementsEqual(expected)
    }

    /// Whether `needle` occurs anywhere in `range`.
    func contains(_ needle: [UInt8], in range: Range<Int>) -> Bool {
        guard let first = needle.first, range.lowerBound >= 0, range.upperBound <= bytes.count,
            range.count >= needle.count
        else { return false }
        return (range.lowerBound...(range.upperBound - needle.count)).contains { start in
            bytes[start] == first && bytes[start..<start + needle.count].elementsEqual(needle)
        }
    }

    /// `length` bytes from `start`, if they all lie within the first `count`; never overflows, whatever the values.
    static func range(at start: Int, length: Int, within count: Int) -> Range<Int>? {
        guard start >= 0, length >= 0, start <= count, length <= count - start else { return nil }
        return start..<start + length
    }

    private func unsigned(at offset: Int, width: Int) -> UInt64? {
        guard let range = Self.range(at: offset, length: width, within: bytes.count) else { return nil }
        let accumulate = { (value: UInt64, byte: UInt8) in value << 8 | UInt64(byte) }
        return order == .bigEndian
            ? bytes[range].reduce(0, accumulate) : bytes[range].reversed().reduce(0, accumulate)
    }
}
