import Domain
import Testing

struct LocationMetadataTests {
    static let latitude = [(40, 1), (26, 1), (4_630, 100)]
    static let longitude = [(79, 1), (58, 1), (5_590, 100)]

    /// A phone's Exif block: camera, orientation (rotate 90° clockwise) and software in IFD0 around the GPS pointer,
    /// where the GPS IFD holds latitude and longitude, and a thumbnail's IFD1.
    static func exif(bigEndian: Bool) -> [UInt8] {
        let tiff = TIFFFixture(bigEndian: bigEndian)
        return Bytes.ascii("Exif\0\0")
            + tiff.build(
                ifd0: [
                    .init(tag: 0x010F, value: .ascii("CameraCo")), .init(tag: 0x0112, value: .short(6)),
                    .init(tag: 0x0131, value: .ascii("Firmware 2.1")), .init(tag: 0x8825, value: .gpsPointer),
                    .init(tag: 0xC4A5, value: .bytes(Bytes.ascii("PrintIM-0300"))),
                ],
                gps: [
                    .init(tag: 0x0000, value: .bytes([2, 2, 0, 0])), .init(tag: 0x0001, value: .ascii("N")),
                    .init(tag: 0x0002, value: .rationals(latitude)), .init(tag: 0x0003, value: .ascii("W")),
                    .init(tag: 0x0004, value: .rationals(longitude)),
                ],
                ifd1: [.init(tag: 0x0103, value: .short(6))])
    }

    static func photo(exif: [UInt8]) -> [UInt8] {
        JPEGFixture.image(
            JPEGFixture.segment(0xE1, exif), JPEGFixture.jfif, JPEGFixture.frame(width: 4032, height: 3024))
    }

    static func xmp(_ properties: String) -> [UInt8] {
        JPEGFixture.segment(
            0xE1,
            Bytes.ascii("http://ns.adobe.com/xap/1.0/\0")
                + Bytes.ascii(#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description \#(properties)/></x:xmpmeta>"#))
    }

    @Test(arguments: [false, true])
    func gpsLeavesAJPEGsExifButOrientationAndTheRestStay(bigEndian: Bool) {
        let exif = Self.exif(bigEndian: bigEndian)
        let photo = Self.photo(exif: exif)
        let (stripped, removed) = LocationMetadata.strip(photo, kind: .jpeg)

        #expect(removed)
        #expect(stripped.count == photo.count)
        let tiff = Array(stripped[(6 + 6)..<(6 + exif.count)])
        let tiffFixture = TIFFFixture(bigEndian: bigEndian)
        let ifd0 = TIFFFixture.entries(of: tiff, at: TIFFFixture.firstIFDOffset(of: tiff))
        #expect(ifd0[0x8825] == nil)
        #expect(ifd0[0x0112]?.value == tiffFixture.encode(6, 2) + [0, 0])
        #expect(Set(ifd0.keys) == [0x010F, 0x0112, 0x0131, 0xC4A5])
        for kept in ["CameraCo", "Firmware 2.1", "PrintIM-0300"] {
            #expect(Bytes.contains(tiff, Bytes.ascii(kept)), "\(kept) should stay")
        }
        for coordinates in [Self.latitude, Self.longitude] {
            let rationals = tiffFixture.outOfLine(.rationals(coordinates))
            #expect(Bytes.contains(photo, rationals))
            #expect(!Bytes.contains(stripped, rationals))
        }
        #expect(Array(stripped.suffix(from: 6 + exif.count)) == Array(photo.suffix(from: 6 + exif.count)))
    }

    @Test func theThumbnailsIFDStaysChainedAfterIFD0() {
        let exif = Self.exif(bigEndian: false)
        let tiff = Array(LocationMetadata.strip(Self.photo(exif: exif), kind: .jpeg).bytes[12..<(6 + exif.count)])
        let ifd0 = TIFFFixture.firstIFDOffset(of: tiff)
        let count = Int(tiff[ifd0]) | Int(tiff[ifd0 + 1]) << 8
        let next = tiff[(ifd0 + 2 + 12 * count)..<(ifd0 + 6 + 12 * count)].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(TIFFFixture.entries(of: tiff, at: next)[0x0103]?.value == [6, 0, 0, 0])
    }

    @Test func aStrippedPhotoHasNothingLeftToRemove() {
        let once = LocationMetadata.strip(Self.photo(exif: Self.exif(bigEndian: true)), kind: .jpeg)
        let twice = LocationMetadata.strip(once.bytes, kind: .jpeg)
        #expect(!twice.removed)
        #expect(twice.bytes == once.bytes)
    }

    @Test func aPhotoWithoutGPSIsLeftAlone() {
        let exif =
            Bytes.ascii("Exif\0\0")
            + TIFFFixture(bigEndian: false).build(
                ifd0: [.init(tag: 0x0112, value: .short(3))], gps: [], ifd1: [])
        let photo = Self.photo(exif: exif)
        let result = LocationMetadata.strip(photo, kind: .jpeg)
        #expect(!result.removed)
        #expect(result.bytes == photo)
    }

    @Test func xmpThatNamesAGPSPositionIsDropped() {
        let located = Self.xmp(#"exif:GPSLatitude="40,26.77N" exif:GPSLongitude="79,58.93W""#)
        let plain = Self.xmp(#"tiff:Orientation="6""#)
        let frame = JPEGFixture.frame(width: 10, height: 10)
        let photo = JPEGFixture.image(JPEGFixture.jfif, located, plain, frame)
        let (stripped, removed) = LocationMetadata.strip(photo, kind: .jpeg)
        #expect(removed)
        #expect(stripped == JPEGFixture.image(JPEGFixture.jfif, plain, frame))
    }

    @Test func xmpWithoutGPSStays() {
        let photo = JPEGFixture.image(Self.xmp(#"dc:creator="Alex""#), JPEGFixture.frame(width: 10, height: 10))
        #expect(LocationMetadata.strip(photo, kind: .jpeg) == (photo, false))
    }

    @Test func aPNGLosesItsExifChunkAndKeepsEveryOtherChunkByteForByte() {
        let exifChunk = PNGFixture.chunk("eXIf", Array(Self.exif(bigEndian: true).dropFirst(6)))
        let gamma = PNGFixture.chunk("gAMA", Bytes.bigEndian(45_455, 4))
        let png = PNGFixture.image(width: 64, height: 48, chunks: [gamma, exifChunk])
        let (stripped, removed) = LocationMetadata.strip(png, kind: .png)
        #expect(removed)
        #expect(stripped == PNGFixture.image(width: 64, height: 48, chunks: [gamma]))
    }

    @Test func aPNGLosesXMPThatNamesAGPSPositionAndKeepsOtherText() {
        let xmp = PNGFixture.chunk(
            "iTXt", Bytes.ascii("XML:com.adobe.xmp\0\0\0\0\0<rdf:Description exif:GPSLatitude=\"40,26.77N\"/>"))
        let comment = PNGFixture.chunk("tEXt", Bytes.ascii("Comment\0Left knee, week 3"))
        let png = PNGFixture.image(width: 8, height: 8, chunks: [comment, xmp])
        let (stripped, removed) = LocationMetadata.strip(png, kind: .png)
        #expect(removed)
        #expect(stripped == PNGFixture.image(width: 8, height: 8, chunks: [comment]))
    }

    @Test func aPNGWithoutLocationIsLeftAlone() {
        let png = PNGFixture.image(width: 8, height: 8, chunks: [PNGFixture.chunk("tEXt", Bytes.ascii("Title\0Scan"))])
        #expect(LocationMetadata.strip(png, kind: .png) == (png, false))
    }

    @Test func otherKindsAreLeftAlone() {
        let gif = GIFFixture.image(width: 2, height: 2, frames: [.init(width: 2, height: 2)])
        #expect(LocationMetadata.strip(gif, kind: .gif) == (gif, false))
        let photo = Self.photo(exif: Self.exif(bigEndian: false))
        #expect(LocationMetadata.strip(photo, kind: .pdf) == (photo, false))
    }

    @Test func damagedOrCutShortFilesNeverTrap() {
        let exifChunk = PNGFixture.chunk("eXIf", Array(Self.exif(bigEndian: false).dropFirst(6)))
        let files: [([UInt8], AttachmentKind)] = [
            (Self.photo(exif: Self.exif(bigEndian: false)), .jpeg),
            (Self.photo(exif: Self.exif(bigEndian: true)), .jpeg),
            (PNGFixture.image(width: 4, height: 4, chunks: [exifChunk]), .png),
        ]
        var random = SeededGenerator(state: 42)
        for (file, kind) in files {
            for length in 0...file.count { _ = LocationMetadata.strip(Array(file.prefix(length)), kind: kind) }
            for _ in 0..<1_000 {
                let damaged = random.damaged(file)
                let result = LocationMetadata.strip(damaged, kind: kind)
                if !result.removed { #expect(result.bytes == damaged) }
            }
        }
    }

    @Test func anExifBlockThatIsNotTIFFIsLeftAlone() {
        let photo = Self.photo(exif: Bytes.ascii("Exif\0\0") + [0x49, 0x49, 0x2B, 0x00, 8, 0, 0, 0])
        #expect(LocationMetadata.strip(photo, kind: .jpeg) == (photo, false))
    }
}
