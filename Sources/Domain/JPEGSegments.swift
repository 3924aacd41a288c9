/// Walks a JPEG's markers in order. Between segments it skips fill bytes, stray bytes and entropy-coded scan data
/// (where `FF 00` is a stuffed byte), as decoders do, so a marker after a scan is found too.
struct JPEGSegments {
    struct Segment {
        let marker: UInt8
        /// The whole segment, from its `FF`.
        let range: Range<Int>
        /// What follows the length field; empty for markers that stand alone.
        let payload: Range<Int>
    }

    private let reader: ByteReader
    private var position = 2

    /// Nil unless the bytes start with a JPEG's start-of-image marker.
    init?(_ bytes: [UInt8]) {
        reader = ByteReader(bytes, .bigEndian)
        guard reader.matches([0xFF, 0xD8, 0xFF], at: 0) else { return nil }
    }

    /// The next segment, or nil at the end of the bytes or where a segment's length runs past them.
    mutating func next() -> Segment? {
        let bytes = reader.bytes
        var index = position
        while index + 1 < bytes.count {
            let code = bytes[index + 1]
            guard bytes[index] == 0xFF, code != 0xFF else {
                index += 1
                continue
            }
            if code == 0x00 {
                index += 2
                continue
            }
            if Self.standsAlone(code) {
                position = index + 2
                return Segment(marker: code, range: index..<index + 2, payload: index + 2..<index + 2)
            }
            guard let length = reader.uint16(at: index + 2), length >= 2,
                let range = ByteReader.range(at: index, length: 2 + length, within: bytes.count)
            else { break }
            position = range.upperBound
            return Segment(marker: code, range: range, payload: index + 4..<range.upperBound)
        }
        position = bytes.count
        return nil
    }

    /// TEM, the restart markers, start and end of image: none has a length field.
    private static func standsAlone(_ code: UInt8) -> Bool { code == 0x01 || (0xD0...0xD9).contains(code) }
}
