/// Walks a PNG's chunks in order: length, type, data and CRC each.
struct PNGChunks {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    struct Chunk {
        let type: String
        /// The whole chunk, from its length field to the end of its CRC.
        let range: Range<Int>
        let data: Range<Int>
    }

    private let reader: ByteReader
    /// Where the next chunk starts: once the walk is over, the first byte not walked.
    private(set) var position = signature.count

    /// Nil unless the bytes start with the PNG signature.
    init?(_ bytes: [UInt8]) {
        reader = ByteReader(bytes, .bigEndian)
        guard reader.matches(Self.signature, at: 0) else { return nil }
    }

    /// The next chunk, or nil at the end of the bytes or where a chunk's length runs past them.
    mutating func next() -> Chunk? {
        guard let length = reader.uint32(at: position),
            let range = ByteReader.range(at: position, length: 12 + length, within: reader.bytes.count)
        else { return nil }
        let type = String(decoding: reader.bytes[position + 4..<position + 8], as: UTF8.self)
        defer { position = range.upperBound }
        return Chunk(type: type, range: range, data: position + 8..<position + 8 + length)
    }
}
