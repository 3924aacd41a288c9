/// Where a photo was taken, as cameras and phones record it, removed before the photo is shared.
public enum LocationMetadata {
    /// The bytes without GPS metadata (JPEG Exif and XMP, PNG eXIf and XMP); `removed` says whether there was some.
    public static func strip(_ bytes: [UInt8], kind: AttachmentKind) -> (bytes: [UInt8], removed: Bool) {
        let stripped: [UInt8]? =
            switch kind {
            case .jpeg: strippedJPEG(bytes)
            case .png: strippedPNG(bytes)
            case .pdf, .gif, .heic, .text, .docx, .xlsx: nil
            }
        return stripped.map { ($0, true) } ?? (bytes, false)
    }

    private static let exifHeader = Array("Exif\0\0".utf8)
    private static let xmpHeader = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
    /// The continuation of an XMP packet too large for one segment.
    private static let extendedXMPHeader = Array("http://ns.adobe.com/xmp/extension/\0".utf8)
    /// In every XMP GPS property name (`exif:GPSLatitude`, `exif:GPSLongitude`, …).
    private static let gpsMark = Array("GPS".utf8)

    /// Removes GPS directories from Exif segments in place, and drops XMP segments that mention GPS (with any
    /// extended XMP once the main packet is dropped). Only the segments before the first scan are metadata. Nil when
    /// nothing was removed.
    private static func strippedJPEG(_ bytes: [UInt8]) -> [UInt8]? {
        guard var segments = JPEGSegments(bytes) else { return nil }
        let reader = ByteReader(bytes, .bigEndian)
        var edited = bytes
        var removed = false
        var extendedXMP: [Range<Int>] = []
        var dropped: [Range<Int>] = []
        while let segment = segments.next(), segment.marker != 0xDA, segment.marker != 0xD9 {
            guard segment.marker == 0xE1 else { continue }
            let payload = segment.payload
            func begins(with header: [UInt8]) -> Bool {
                payload.count >= header.count && reader.matches(header, at: payload.lowerBound)
            }
            if begins(with: exifHeader) {
                let tiff = payload.lowerBound + exifHeader.count..<payload.upperBound
                if var exif = ExifLocation(tiff: Array(bytes[tiff])), exif.removeGPS() {
                    edited.replaceSubrange(tiff, with: exif.tiff)
                    removed = true
                }
            } else if begins(with: xmpHeader), reader.contains(gpsMark, in: payload) {
                dropped.append(segment.range)
            } else if begins(with: extendedXMPHeader) {
                if reader.contains(gpsMark, in: payload) {
                    dropped.append(segment.range)
                } else {
                    extendedXMP.append(segment.range)
                }
            }
        }
        if !dropped.isEmpty { dropped += extendedXMP }
        guard removed || !dropped.isEmpty else { return nil }
        return removing(dropped, from: edited)
    }

    /// Drops every eXIf chunk, text chunks holding XMP that mentions GPS (or is compressed, so it can't be read
    /// here), and the hex-encoded Exif and XMP profiles ImageMagick writes as text. Other chunks keep their bytes and
    /// CRCs. Nil when nothing was removed.
    private static func strippedPNG(_ bytes: [UInt8]) -> [UInt8]? {
        guard var chunks = PNGChunks(bytes) else { return nil }
        let reader = ByteReader(bytes, .bigEndian)
        var dropped: [Range<Int>] = []
        while let chunk = chunks.next() {
            if chunk.type == "eXIf" || mayHoldLocation(textChunk: chunk, reader) { dropped.append(chunk.range) }
        }
        return dropped.isEmpty ? nil : removing(dropped, from: bytes)
    }

    private static func mayHoldLocation(textChunk chunk: PNGChunks.Chunk, _ reader: ByteReader) -> Bool {
        guard ["tEXt", "zTXt", "iTXt"].contains(chunk.type) else { return false }
        let keywordEnd = reader.bytes[chunk.data].firstIndex(of: 0) ?? chunk.data.upperBound
        let keyword = String(decoding: reader.bytes[chunk.data.lowerBound..<keywordEnd], as: UTF8.self)
        let rawProfiles = ["Raw profile type exif", "Raw profile type APP1", "Raw profile type xmp"]
        if rawProfiles.contains(where: keyword.hasPrefix) { return true }
        guard keyword == "XML:com.adobe.xmp" else { return false }
        let compressed =
            switch chunk.type {
            case "zTXt": true
            case "iTXt": reader.uint8(at: keywordEnd + 1) != 0
            default: false
            }
        return compressed || reader.contains(gpsMark, in: chunk.data)
    }

    /// The bytes without the given ranges, which lie in order and do not overlap.
    private static func removing(_ ranges: [Range<Int>], from bytes: [UInt8]) -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var position = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.lowerBound >= position {
            kept += bytes[position..<range.lowerBound]
            position = range.upperBound
        }
        kept += bytes[position...]
        return kept
    }
}
