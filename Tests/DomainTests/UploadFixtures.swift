/// Minimal image and ZIP files built byte by byte, so each test shows exactly what it feeds in.
enum Bytes {
    static func bigEndian(_ value: Int, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - $0))) }
    }

    static func littleEndian(_ value: Int, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}

enum PNGFixture {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Length, type, data and a correct CRC.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Bytes.ascii(type) + data
        return Bytes.bigEndian(data.count, 4) + typeAndData + Bytes.bigEndian(Int(crc32(typeAndData)), 4)
    }

    /// An 8-bit RGB image header, the given chunks, one small IDAT and IEND.
    static func image(width: Int, height: Int, chunks: [[UInt8]] = []) -> [UInt8] {
        let header = Bytes.bigEndian(width, 4) + Bytes.bigEndian(height, 4) + [8, 2, 0, 0, 0]
        return signature + chunk("IHDR", header) + chunks.joined() + chunk("IDAT", [0x78, 0x9C, 0x63, 0, 0, 0, 1])
            + chunk("IEND", [])
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

enum GIFFixture {
    struct Frame {
        var left = 0
        var top = 0
        let width: Int
        let height: Int
    }

    /// A GIF89a with a two-colour global table, a graphic control extension, and each frame as one tiny image.
    static func image(width: Int, height: Int, frames: [Frame]) -> [UInt8] {
        var bytes = Bytes.ascii("GIF89a") + Bytes.littleEndian(width, 2) + Bytes.littleEndian(height, 2) + [0x80, 0, 0]
        bytes += [0, 0, 0, 0xFF, 0xFF, 0xFF]
        for frame in frames {
            bytes += [0x21, 0xF9, 4, 0, 10, 0, 0, 0]
            bytes += [0x2C] + Bytes.littleEndian(frame.left, 2) + Bytes.littleEndian(frame.top, 2)
            bytes += Bytes.littleEndian(frame.width, 2) + Bytes.littleEndian(frame.height, 2) + [0]
            bytes += [2, 2, 0x4C, 0x01, 0]
        }
        return bytes + [0x3B]
    }
}

enum JPEGFixture {
    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker] + Bytes.bigEndian(payload.count + 2, 2) + payload
    }

    static let jfif = segment(0xE0, Bytes.ascii("JFIF\0") + [1, 1, 0, 0, 1, 0, 1, 0, 0])
    /// A Huffman table: C4 lies in the start-of-frame range but is not a frame. Its bytes would read as 65535 × 65535.
    static let huffmanTable = segment(0xC4, [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x03] + [UInt8](repeating: 0, count: 12))

    /// A baseline (C0) or other start-of-frame segment, three components.
    static func frame(_ marker: UInt8 = 0xC0, width: Int, height: Int) -> [UInt8] {
        segment(
            marker,
            [8] + Bytes.bigEndian(height, 2) + Bytes.bigEndian(width, 2) + [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    }

    /// A start-of-scan header and entropy-coded data with a stuffed FF 00 and a restart marker.
    static let scan =
        segment(0xDA, [3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]) + [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]

    /// Start of image, the segments, a scan and end of image.
    static func image(_ segments: [UInt8]...) -> [UInt8] { [0xFF, 0xD8] + segments.joined() + scan + [0xFF, 0xD9] }
}

/// An Exif block's TIFF structure: IFD0, the GPS IFD, then IFD1 (a thumbnail's), each followed by the values too
/// long to sit in their entries.
struct TIFFFixture {
    enum Value {
        case ascii(String)
        case short(Int)
        case bytes([UInt8])
        case rationals([(Int, Int)])
        /// The offset of the GPS IFD.
        case gpsPointer
    }

    struct Entry {
        let tag: Int
        let value: Value
    }

    let bigEndian: Bool

    func encode(_ value: Int, _ width: Int) -> [UInt8] {
        bigEndian ? Bytes.bigEndian(value, width) : Bytes.littleEndian(value, width)
    }

    func build(ifd0: [Entry], gps: [Entry], ifd1: [Entry]) -> [UInt8] {
        let directories = [ifd0, gps, ifd1]
        var offsets: [Int] = []
        var position = 8
        for entries in directories {
            offsets.append(position)
            position += 2 + 12 * entries.count + 4 + entries.map { outOfLine($0.value).count }.reduce(0, +)
        }
        var bytes = (bigEndian ? Bytes.ascii("MM") : Bytes.ascii("II")) + encode(42, 2) + encode(offsets[0], 4)
        for (index, entries) in directories.enumerated() {
            var values = offsets[index] + 2 + 12 * entries.count + 4
            bytes += encode(entries.count, 2)
            var data: [UInt8] = []
            for entry in entries {
                let (type, count, inline) = field(entry.value, gps: offsets[1])
                bytes += encode(entry.tag, 2) + encode(type, 2) + encode(count, 4)
                if let inline {
                    bytes += inline + [UInt8](repeating: 0, count: 4 - inline.count)
                } else {
                    bytes += encode(values, 4)
                    values += outOfLine(entry.value).count
                    data += outOfLine(entry.value)
                }
            }
            bytes += encode(index == 0 ? offsets[2] : 0, 4) + data
        }
        return bytes
    }

    /// Type, count, and the value when it fits in the entry's four bytes.
    private func field(_ value: Value, gps: Int) -> (Int, Int, [UInt8]?) {
        switch value {
        case .ascii(let text): (2, text.utf8.count + 1, text.utf8.count < 4 ? Bytes.ascii(text) + [0] : nil)
        case .short(let number): (3, 1, encode(number, 2))
        case .bytes(let bytes): (7, bytes.count, bytes.count <= 4 ? bytes : nil)
        case .rationals(let pairs): (5, pairs.count, nil)
        case .gpsPointer: (4, 1, encode(gps, 4))
        }
    }

    func outOfLine(_ value: Value) -> [UInt8] {
        switch value {
        case .ascii(let text): text.utf8.count < 4 ? [] : Bytes.ascii(text) + [0]
        case .bytes(let bytes): bytes.count <= 4 ? [] : bytes
        case .rationals(let pairs): pairs.flatMap { encode($0.0, 4) + encode($0.1, 4) }
        case .short, .gpsPointer: []
        }
    }

    /// Each entry of the IFD at `offset` as tag → (type, count, the four value bytes).
    static func entries(of tiff: [UInt8], at offset: Int) -> [Int: (type: Int, count: Int, value: [UInt8])] {
        let bigEndian = tiff.starts(with: Bytes.ascii("MM"))
        func read(_ at: Int, _ width: Int) -> Int {
            let bytes = tiff[at..<at + width]
            return (bigEndian ? Array(bytes) : bytes.reversed()).reduce(0) { $0 << 8 | Int($1) }
        }
        var found: [Int: (type: Int, count: Int, value: [UInt8])] = [:]
        for index in 0..<read(offset, 2) {
            let entry = offset + 2 + 12 * index
            found[read(entry, 2)] = (read(entry + 2, 2), read(entry + 4, 4), Array(tiff[entry + 8..<entry + 12]))
        }
        return found
    }

    static func firstIFDOffset(of tiff: [UInt8]) -> Int {
        let bytes = tiff[4..<8]
        return (tiff.starts(with: Bytes.ascii("MM")) ? Array(bytes) : bytes.reversed()).reduce(0) { $0 << 8 | Int($1) }
    }
}

/// A ZIP archive whose central directory says what each test needs, true or not; nothing in it is really compressed.
struct ZipFixture {
    struct Entry {
        let name: String
        let data: [UInt8]
        /// What the central directory claims it expands to.
        let declaredSize: Int

        init(_ name: String, _ data: [UInt8], declaredSize: Int? = nil) {
            self.name = name
            self.data = data
            self.declaredSize = declaredSize ?? data.count
        }
    }

    var entries: [Entry]
    /// Sizes and offsets saturated at 0xFFFFFFFF in the headers, the real ones in ZIP64 extra fields and records.
    var zip64 = false
    /// The ZIP64 end records left out, though the end record's fields are saturated.
    var omitZip64Records = false
    /// What the end record says the count is, if not the truth.
    var claimedCount: Int?
    /// Every central entry points at the first local header.
    var shareFirstLocalHeader = false
    var comment: [UInt8] = []

    func build() -> [UInt8] {
        var bytes: [UInt8] = []
        var directory: [UInt8] = []
        var firstLocalHeader: Int?
        for entry in entries {
            let localHeader = bytes.count
            firstLocalHeader = firstLocalHeader ?? localHeader
            let name = Bytes.ascii(entry.name)
            let sizes =
                Bytes.littleEndian(entry.data.count, 4) + Bytes.littleEndian(min(entry.declaredSize, 0xFFFF_FFFE), 4)
            bytes += [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0, 0, 0, 0, 0] + sizes
            bytes += Bytes.littleEndian(name.count, 2) + [0, 0] + name + entry.data

            let pointsAt = shareFirstLocalHeader ? (firstLocalHeader ?? 0) : localHeader
            let extra =
                zip64
                ? [1, 0, 24, 0] + Bytes.littleEndian(entry.declaredSize, 8) + Bytes.littleEndian(entry.data.count, 8)
                    + Bytes.littleEndian(pointsAt, 8) : []
            directory += [0x50, 0x4B, 0x01, 0x02, 45, 3, 45, 0, 0, 0, 8, 0, 0, 0, 0x21, 0, 0, 0, 0, 0]
            directory +=
                zip64
                ? [UInt8](repeating: 0xFF, count: 8)
                : Bytes.littleEndian(entry.data.count, 4) + Bytes.littleEndian(entry.declaredSize, 4)
            directory += Bytes.littleEndian(name.count, 2) + Bytes.littleEndian(extra.count, 2) + [0, 0, 0, 0, 0, 0]
            directory += [0, 0, 0, 0] + (zip64 ? [0xFF, 0xFF, 0xFF, 0xFF] : Bytes.littleEndian(pointsAt, 4))
            directory += name + extra
        }
        let directoryOffset = bytes.count
        bytes += directory
        let count = claimedCount ?? entries.count
        if zip64 {
            let record = bytes.count
            if !omitZip64Records {
                bytes += [0x50, 0x4B, 0x06, 0x06] + Bytes.littleEndian(44, 8) + [45, 3, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]
                bytes += Bytes.littleEndian(count, 8) + Bytes.littleEndian(count, 8)
                bytes += Bytes.littleEndian(directory.count, 8) + Bytes.littleEndian(directoryOffset, 8)
                bytes += [0x50, 0x4B, 0x06, 0x07, 0, 0, 0, 0] + Bytes.littleEndian(record, 8) + [1, 0, 0, 0]
            }
            bytes += [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 12)
        } else {
            bytes += [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0] + Bytes.littleEndian(count, 2) + Bytes.littleEndian(count, 2)
            bytes += Bytes.littleEndian(directory.count, 4) + Bytes.littleEndian(directoryOffset, 4)
        }
        return bytes + Bytes.littleEndian(comment.count, 2) + comment
    }

    /// A small Word document: content types and a body.
    static let document = ZipFixture(entries: [
        Entry("[Content_Types].xml", Bytes.ascii("<Types/>")),
        Entry("word/document.xml", Bytes.ascii("<w:document>Blood pressure log</w:document>")),
    ])
}

/// A reproducible stream of numbers for mutating fixtures (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

extension SeededGenerator {
    /// The bytes with one to four of them overwritten at random.
    mutating func damaged(_ bytes: [UInt8]) -> [UInt8] {
        var damaged = bytes
        for _ in 0..<Int.random(in: 1...4, using: &self) where !damaged.isEmpty {
            damaged[Int.random(in: 0..<damaged.count, using: &self)] = UInt8.random(in: 0...255, using: &self)
        }
        return damaged
    }
}
