/// Takes the GPS directory out of an Exif block's TIFF structure in place: the pointer to it leaves its IFD, and the
/// directory with its values is overwritten with zeros. Nothing moves, so every other offset (orientation, camera,
/// thumbnail) stays valid.
struct ExifLocation {
    /// The TIFF structure; its offsets count from its first byte.
    private(set) var tiff: [UInt8]
    private let bigEndian: Bool

    private static let gpsPointerTag = 0x8825
    private static let entryLength = 12
    /// Enough for IFD0 and the thumbnail's IFD1; a longer chain is hostile, and a loop is cut short by the limit too.
    private static let directoriesWalked = 4

    /// Nil unless the bytes start with a TIFF header ("II" or "MM", then 42).
    init?(tiff: [UInt8]) {
        let reader = ByteReader(tiff, .bigEndian)
        if reader.matches([0x49, 0x49, 0x2A, 0x00], at: 0) {
            bigEndian = false
        } else if reader.matches([0x4D, 0x4D, 0x00, 0x2A], at: 0) {
            bigEndian = true
        } else {
            return nil
        }
        self.tiff = tiff
    }

    /// Removes every GPS pointer in the IFD chain and the directory it points to; true if there was one.
    mutating func removeGPS() -> Bool {
        var removed = false
        var visited: Set<Int> = []
        var directory = read(4, at: 4) ?? 0
        while directory != 0, visited.count < Self.directoriesWalked, visited.insert(directory).inserted {
            guard let count = read(2, at: directory), let next = read(4, at: directory + 2 + Self.entryLength * count)
            else { break }
            let entries = directory + 2
            let tags = (0..<count).map { read(2, at: entries + Self.entryLength * $0) }
            if let index = tags.firstIndex(of: Self.gpsPointerTag) {
                if let gps = read(4, at: entries + Self.entryLength * index + 8) { clearDirectory(at: gps) }
                removeEntry(index, of: count, from: directory, next: next)
                removed = true
            }
            directory = next
        }
        return removed
    }

    /// Shifts the later entries up over the removed one, then the next-IFD offset after them; zeros the spare bytes.
    private mutating func removeEntry(_ index: Int, of count: Int, from directory: Int, next: Int) {
        let entries = directory + 2
        let removed = entries + Self.entryLength * index
        let end = entries + Self.entryLength * count + 4
        guard ByteReader.range(at: removed, length: end - removed, within: tiff.count) != nil else { return }
        let later = Array(tiff[removed + Self.entryLength..<end - 4])
        let newEnd = removed + later.count
        tiff.replaceSubrange(removed..<newEnd, with: later)
        write(count - 1, width: 2, at: directory)
        write(next, width: 4, at: newEnd)
        tiff.replaceSubrange(newEnd + 4..<end, with: repeatElement(0, count: end - newEnd - 4))
    }

    /// Zeros each entry's out-of-line value, then the directory itself. Overlapping values are merged first, so a
    /// hostile directory whose entries all point at the same long value costs no more than a real one.
    private mutating func clearDirectory(at directory: Int) {
        guard let count = read(2, at: directory) else { return }
        var spans: [Range<Int>] = [directory..<directory + 2 + Self.entryLength * count + 4]
        for index in 0..<count {
            let entry = directory + 2 + Self.entryLength * index
            guard let type = read(2, at: entry + 2), let values = read(4, at: entry + 4) else { break }
            let (length, overflow) = Self.valueLength(type: type).multipliedReportingOverflow(by: values)
            if !overflow, length > 4, let offset = read(4, at: entry + 8), offset < tiff.count {
                spans.append(offset..<offset + min(length, tiff.count - offset))
            }
        }
        var zeroedUpTo = 0
        for span in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let start = max(span.lowerBound, zeroedUpTo)
            let end = min(span.upperBound, tiff.count)
            if start < end { tiff.replaceSubrange(start..<end, with: repeatElement(0, count: end - start)) }
            zeroedUpTo = max(zeroedUpTo, end)
        }
    }

    /// Bytes per value of each TIFF field type; 0 for a type this does not know.
    private static func valueLength(type: Int) -> Int {
        switch type {
        case 1, 2, 6, 7: 1
        case 3, 8: 2
        case 4, 9, 11, 13: 4
        case 5, 10, 12: 8
        default: 0
        }
    }

    private func read(_ width: Int, at offset: Int) -> Int? {
        guard let range = ByteReader.range(at: offset, length: width, within: tiff.count) else { return nil }
        return bigEndian
            ? tiff[range].reduce(0) { $0 << 8 | Int($1) } : tiff[range].reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    private mutating func write(_ value: Int, width: Int, at offset: Int) {
        guard let range = ByteReader.range(at: offset, length: width, within: tiff.count) else { return }
        for (position, index) in range.enumerated() {
            let shift = 8 * (bigEndian ? width - 1 - position : position)
            tiff[index] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }
}
