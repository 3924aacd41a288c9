import Foundation

/// Files built byte by byte for upload tests: real headers, no pixels needed.
enum UploadFiles {
    /// A PNG whose header declares `width` × `height`.
    static func png(width: UInt32 = 2, height: UInt32 = 2) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bigEndian(13) + Array("IHDR".utf8) + bigEndian(width)
            + bigEndian(height) + [8, 2, 0, 0, 0] + [0, 0, 0, 0] + Array(repeating: 7, count: 64)
    }

    /// A 4 × 4 JPEG whose Exif says where it was taken (GPS latitude 41° N) and which way up it is (Orientation 6).
    static func jpegWithLocation() -> [UInt8] {
        // TIFF, little-endian: IFD0 at 8 with Orientation and the GPS IFD pointer; the GPS IFD at 38 with
        // GPSLatitudeRef "N" and GPSLatitude (three rationals at 68).
        var tiff: [UInt8] = Array("II".utf8) + [0x2A, 0x00] + littleEndian(8)
        tiff += [0x02, 0x00]  // two entries
        tiff += [0x12, 0x01, 0x03, 0x00] + littleEndian(1) + [0x06, 0x00, 0x00, 0x00]  // Orientation = 6
        tiff += [0x25, 0x88, 0x04, 0x00] + littleEndian(1) + littleEndian(38)  // GPS IFD at 38
        tiff += littleEndian(0)  // no next IFD
        tiff += [0x02, 0x00]  // GPS IFD: two entries
        tiff += [0x01, 0x00, 0x02, 0x00] + littleEndian(2) + Array("N".utf8) + [0, 0, 0]  // GPSLatitudeRef
        tiff += [0x02, 0x00, 0x05, 0x00] + littleEndian(3) + littleEndian(68)  // GPSLatitude
        tiff += littleEndian(0)
        tiff +=
            littleEndian(41) + littleEndian(1) + littleEndian(52) + littleEndian(1) + littleEndian(3) + littleEndian(1)
        let exif = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1] + bigEndian16(exif.count + 2) + exif
        let sof0: [UInt8] =
            [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x04, 0x00, 0x04, 0x03]
            + [0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]
        let sos: [UInt8] = [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00]
        return [0xFF, 0xD8] + app1 + sof0 + sos + [0x00, 0x00, 0xFF, 0xD9]
    }

    /// The 68-byte EICAR anti-virus test file, put together here so no file of it is ever stored.
    static let eicar = Array(
        ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").utf8)

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func bigEndian16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    private static func littleEndian(_ value: UInt32) -> [UInt8] { bigEndian(value).reversed() }
}
