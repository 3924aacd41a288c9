/// What a ZIP archive (a Word or Excel file) declares in its central directory, read without inflating anything.
public enum ZipDirectory {
    public struct Summary: Equatable, Sendable {
        /// How many files the archive holds.
        public let entryCount: Int
        /// What its files declare they expand to, in bytes; `Int.max` when the sum does not fit.
        public let expandedBytes: Int
    }

    /// The central directory's totals, ZIP64 included; nil when it does not parse or disagrees with the archive.
    public static func summary(of bytes: [UInt8]) -> Summary? {
        let reader = ByteReader(bytes, .littleEndian)
        guard let end = endRecord(reader), let directory = directory(reader, endRecord: end) else { return nil }
        return walk(reader, directory)
    }

    private static let endSignature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
    private static let zip64LocatorSignature: [UInt8] = [0x50, 0x4B, 0x06, 0x07]
    private static let zip64EndSignature: [UInt8] = [0x50, 0x4B, 0x06, 0x06]
    private static let entrySignature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    private static let endRecordLength = 22
    private static let zip64LocatorLength = 20
    private static let zip64EndLength = 56
    private static let entryLength = 46
    private static let localHeaderLength = 30
    private static let saturated16 = 0xFFFF
    private static let saturated32 = 0xFFFF_FFFF

    /// Where the central directory lies, how many entries it holds, and where it must end.
    private struct Directory {
        let entries: Int
        let range: Range<Int>
    }

    /// The end of central directory record nearest the end whose comment fits in the file, searched for in the
    /// last 64 KiB + 22 bytes (the longest comment plus the record).
    private static func endRecord(_ reader: ByteReader) -> Int? {
        let last = reader.bytes.count - endRecordLength
        guard last >= 0 else { return nil }
        let first = max(0, last - 0xFFFF)
        return stride(from: last, through: first, by: -1).first { offset in
            guard reader.matches(endSignature, at: offset), let commentLength = reader.uint16(at: offset + 20) else {
                return false
            }
            return offset + endRecordLength + commentLength <= reader.bytes.count
        }
    }

    /// From the end record, or from the ZIP64 end record when a locator comes just before it. A single-disk
    /// archive only; a saturated field without ZIP64 records does not parse.
    private static func directory(_ reader: ByteReader, endRecord end: Int) -> Directory? {
        guard let disk = reader.uint16(at: end + 4), let directoryDisk = reader.uint16(at: end + 6),
            let entriesHere = reader.uint16(at: end + 8), let entries = reader.uint16(at: end + 10),
            let size = reader.uint32(at: end + 12), let offset = reader.uint32(at: end + 16)
        else { return nil }
        let locator = end - zip64LocatorLength
        if reader.matches(zip64LocatorSignature, at: locator) { return zip64Directory(reader, locator: locator) }
        guard disk == 0, directoryDisk == 0, entriesHere == entries, entries != saturated16,
            size != saturated32, offset != saturated32
        else { return nil }
        return directory(entries: entries, offset: offset, size: size, endingAt: end)
    }

    private static func zip64Directory(_ reader: ByteReader, locator: Int) -> Directory? {
        guard reader.uint32(at: locator + 4) == 0, let record = reader.uint64(at: locator + 8),
            let disks = reader.uint32(at: locator + 16), disks <= 1,
            ByteReader.range(at: record, length: zip64EndLength, within: locator) != nil,
            reader.matches(zip64EndSignature, at: record),
            reader.uint32(at: record + 16) == 0, reader.uint32(at: record + 20) == 0,
            let entriesHere = reader.uint64(at: record + 24), let entries = reader.uint64(at: record + 32),
            entriesHere == entries,
            let size = reader.uint64(at: record + 40), let offset = reader.uint64(at: record + 48)
        else { return nil }
        return directory(entries: entries, offset: offset, size: size, endingAt: record)
    }

    /// The directory must end where the record after it starts, and have room for every entry it claims.
    private static func directory(entries: Int, offset: Int, size: Int, endingAt end: Int) -> Directory? {
        guard let range = ByteReader.range(at: offset, length: size, within: end), range.upperBound == end,
            entries <= size / entryLength
        else { return nil }
        return Directory(entries: entries, range: range)
    }

    /// Every entry, in order, filling the directory exactly, so that no entry hides beyond the count. Entries must
    /// start at distinct local headers before the directory, and their compressed data must fit there: entries that
    /// share or overlap data (a known bomb) do not.
    private static func walk(_ reader: ByteReader, _ directory: Directory) -> Summary? {
        var position = directory.range.lowerBound
        var expanded = 0
        var stored = 0
        var localHeaders: Set<Int> = []
        for _ in 0..<directory.entries {
            guard let entry = entry(reader, at: position, within: directory.range.upperBound),
                entry.localHeader < directory.range.lowerBound, localHeaders.insert(entry.localHeader).inserted
            else { return nil }
            expanded = adding(expanded, entry.uncompressed)
            stored = adding(stored, adding(entry.compressed, localHeaderLength))
            position = entry.end
        }
        guard position == directory.range.upperBound, stored <= directory.range.lowerBound else { return nil }
        return Summary(entryCount: directory.entries, expandedBytes: expanded)
    }

    private struct Entry {
        let compressed: Int
        let uncompressed: Int
        let localHeader: Int
        let end: Int
    }

    /// One central directory header; sizes and offset saturated at 0xFFFFFFFF are read from its ZIP64 extra field.
    private static func entry(_ reader: ByteReader, at start: Int, within end: Int) -> Entry? {
        guard ByteReader.range(at: start, length: entryLength, within: end) != nil,
            reader.matches(entrySignature, at: start),
            var compressed = reader.uint32(at: start + 20), var uncompressed = reader.uint32(at: start + 24),
            let nameLength = reader.uint16(at: start + 28), let extraLength = reader.uint16(at: start + 30),
            let commentLength = reader.uint16(at: start + 32), let disk = reader.uint16(at: start + 34),
            var localHeader = reader.uint32(at: start + 42),
            let whole = ByteReader.range(
                at: start, length: entryLength + nameLength + extraLength + commentLength, within: end)
        else { return nil }
        if [uncompressed, compressed, localHeader].contains(saturated32) || disk == saturated16 {
            let extra = start + entryLength + nameLength
            guard let zip64 = zip64Field(reader, in: extra..<extra + extraLength) else { return nil }
            // The field holds, in this order, only the values saturated in the header.
            var field = zip64.lowerBound
            func nextValue(width: Int) -> Int? {
                guard let range = ByteReader.range(at: field, length: width, within: zip64.upperBound) else {
                    return nil
                }
                field = range.upperBound
                return width == 8 ? reader.uint64(at: range.lowerBound) : reader.uint32(at: range.lowerBound)
            }
            if uncompressed == saturated32 {
                guard let value = nextValue(width: 8) else { return nil }
                uncompressed = value
            }
            if compressed == saturated32 {
                guard let value = nextValue(width: 8) else { return nil }
                compressed = value
            }
            if localHeader == saturated32 {
                guard let value = nextValue(width: 8) else { return nil }
                localHeader = value
            }
            if disk == saturated16, nextValue(width: 4) != 0 { return nil }
        }
        guard disk == 0 || disk == saturated16 else { return nil }
        return Entry(
            compressed: compressed, uncompressed: uncompressed, localHeader: localHeader, end: whole.upperBound)
    }

    /// The data of the ZIP64 extended information field (id 0x0001) among an entry's extra fields.
    private static func zip64Field(_ reader: ByteReader, in extra: Range<Int>) -> Range<Int>? {
        var position = extra.lowerBound
        while let id = reader.uint16(at: position), let length = reader.uint16(at: position + 2),
            let data = ByteReader.range(at: position + 4, length: length, within: extra.upperBound)
        {
            if id == 0x0001 { return data }
            position = data.upperBound
        }
        return nil
    }

    private static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
