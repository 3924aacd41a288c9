/// An image's size as its header declares it, read without decoding a single pixel.
public enum ImageHeader {
    /// Width × height declared by a PNG, GIF or JPEG (the largest frame for GIF and JPEG); nil when unreadable.
    public static func pixelCount(of bytes: [UInt8], kind: AttachmentKind) -> Int? {
        switch kind {
        case .png: pngPixelCount(bytes)
        case .gif: gifPixelCount(bytes)
        case .jpeg: jpegPixelCount(bytes)
        case .pdf, .heic, .text, .docx, .xlsx: nil
        }
    }

    /// The IHDR chunk, which must come first.
    private static func pngPixelCount(_ bytes: [UInt8]) -> Int? {
        let reader = ByteReader(bytes, .bigEndian)
        let largest = 0x7FFF_FFFF
        guard reader.matches(PNGChunks.signature, at: 0), reader.uint32(at: 8) == 13,
            reader.matches(Array("IHDR".utf8), at: 12),
            let width = reader.uint32(at: 16), let height = reader.uint32(at: 20),
            (1...largest).contains(width), (1...largest).contains(height)
        else { return nil }
        return product(width, height)
    }

    /// The logical screen, and the extent of every frame, since some decoders grow the canvas to fit a frame. A GIF
    /// without a single complete image descriptor is not an image.
    private static func gifPixelCount(_ bytes: [UInt8]) -> Int? {
        let reader = ByteReader(bytes, .littleEndian)
        guard reader.matches(Array("GIF87a".utf8), at: 0) || reader.matches(Array("GIF89a".utf8), at: 0),
            let screenWidth = reader.uint16(at: 6), let screenHeight = reader.uint16(at: 8),
            let screenFlags = reader.uint8(at: 10)
        else { return nil }
        var largest = screenWidth * screenHeight
        var sawFrame = false
        var position = 13 + colorTableLength(flags: screenFlags)
        blocks: while let introducer = reader.uint8(at: position) {
            switch introducer {
            case 0x2C:
                guard let left = reader.uint16(at: position + 1), let top = reader.uint16(at: position + 3),
                    let width = reader.uint16(at: position + 5), let height = reader.uint16(at: position + 7),
                    let flags = reader.uint8(at: position + 9)
                else { break blocks }
                sawFrame = true
                largest = max(largest, product(left + width, top + height))
                // Past the descriptor, its colour table and the LZW code size come the image's data sub-blocks.
                guard let end = endOfSubBlocks(reader, from: position + 10 + colorTableLength(flags: flags) + 1)
                else { break blocks }
                position = end
            case 0x21:
                guard let end = endOfSubBlocks(reader, from: position + 2) else { break blocks }
                position = end
            default:
                break blocks
            }
        }
        return sawFrame ? largest : nil
    }

    private static func colorTableLength(flags: Int) -> Int { flags & 0x80 == 0 ? 0 : 3 << ((flags & 0x07) + 1) }

    /// Where a run of GIF data sub-blocks ends, after its empty terminator; nil when the bytes end first.
    private static func endOfSubBlocks(_ reader: ByteReader, from start: Int) -> Int? {
        var position = start
        while let size = reader.uint8(at: position) {
            position += 1 + size
            if size == 0 { return position }
        }
        return nil
    }

    /// The largest frame any start-of-frame marker declares, in the whole file: a later frame could be larger. A
    /// frame of height 0 (its height left to a DNL marker) is refused, as most decoders do.
    private static func jpegPixelCount(_ bytes: [UInt8]) -> Int? {
        guard var segments = JPEGSegments(bytes) else { return nil }
        let reader = ByteReader(bytes, .bigEndian)
        var largest: Int?
        while let segment = segments.next(), segment.marker != 0xD9 {
            guard isStartOfFrame(segment.marker) else { continue }
            let start = segment.payload.lowerBound
            guard segment.payload.count >= 6, let height = reader.uint16(at: start + 1),
                let width = reader.uint16(at: start + 3), height > 0, width > 0
            else { return nil }
            largest = max(largest ?? 0, product(width, height))
        }
        return largest
    }

    /// SOF0 to SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range.
    private static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
    }

    private static func product(_ width: Int, _ height: Int) -> Int {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? Int.max : pixels
    }
}
