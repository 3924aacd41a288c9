/// Quoted-printable (RFC 2045 6.7), for bodies that are not plain 7-bit text with short lines.
enum QuotedPrintable {
    /// True when CRLF-ended lines are printable ASCII (or tab) and each at most 998 bytes: sendable as they are.
    static func isSevenBitSafe(_ bytes: [UInt8]) -> Bool {
        var lineLength = 0
        for byte in bytes {
            switch byte {
            case 10: lineLength = 0
            case 13: continue
            case 9, 32..<127:
                lineLength += 1
                if lineLength > 998 { return false }
            default: return false
            }
        }
        return true
    }

    /// Encodes CRLF-ended lines, keeping each encoded line within 76 characters with soft breaks (`=` CRLF).
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { line in
            line.last == 13 ? line.dropLast() : line
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        let hex = Array("0123456789ABCDEF".utf8)
        for line in lines {
            var length = 0
            for (offset, byte) in zip(line.indices, line) {
                let isLast = offset == line.index(before: line.endIndex)
                let printable = (33...126).contains(byte) && byte != UInt8(ascii: "=")
                let literal = printable || ((byte == 32 || byte == 9) && !isLast)
                let piece: [UInt8] = literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                // Room for the piece and, unless it ends the line, a soft break's `=`.
                if length + piece.count > (isLast ? 76 : 75) {
                    result += Array("=\r\n".utf8)
                    length = 0
                }
                result += piece
                length += piece.count
            }
            result += [13, 10]
        }
        return result
    }

    /// Decodes quoted-printable text: soft breaks removed, `=XX` as its byte. For reading what a server received.
    static func decode(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 65...70: byte - 55
            case 97...102: byte - 87
            default: nil
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "="), index + 1 < bytes.count {
                if bytes[index + 1] == 13, index + 2 < bytes.count, bytes[index + 2] == 10 {
                    index += 3
                    continue
                }
                if bytes[index + 1] == 10 {
                    index += 2
                    continue
                }
                if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                {
                    result.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            result.append(byte)
            index += 1
        }
        return result
    }
}
