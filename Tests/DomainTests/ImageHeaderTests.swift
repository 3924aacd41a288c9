import Domain
import Testing

struct ImageHeaderTests {
    @Test func aPNGDeclaresItsSizeInItsHeader() {
        #expect(ImageHeader.pixelCount(of: PNGFixture.image(width: 640, height: 480), kind: .png) == 307_200)
    }

    @Test func aPNGWhoseFirstChunkIsNotTheHeaderOrWhoseSideIsZeroIsUnreadable() {
        let headerless = PNGFixture.signature + PNGFixture.chunk("IEND", [])
        #expect(ImageHeader.pixelCount(of: headerless, kind: .png) == nil)
        #expect(ImageHeader.pixelCount(of: PNGFixture.image(width: 0, height: 480), kind: .png) == nil)
    }

    @Test func aGIFCountsItsScreenOrItsLargestFrameWhicheverIsLarger() {
        let small = GIFFixture.image(width: 300, height: 200, frames: [.init(width: 300, height: 200)])
        #expect(ImageHeader.pixelCount(of: small, kind: .gif) == 60_000)
        let frameBeyondScreen = GIFFixture.image(
            width: 10, height: 10,
            frames: [.init(width: 10, height: 10), .init(left: 100, top: 50, width: 20_000, height: 5_000)])
        #expect(ImageHeader.pixelCount(of: frameBeyondScreen, kind: .gif) == 20_100 * 5_050)
    }

    @Test func aGIFWithoutAnyFrameIsUnreadable() {
        #expect(ImageHeader.pixelCount(of: GIFFixture.image(width: 300, height: 200, frames: []), kind: .gif) == nil)
    }

    @Test(arguments: [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF] as [UInt8])
    func everyJPEGStartOfFrameDeclaresTheSize(marker: UInt8) {
        let jpeg = JPEGFixture.image(JPEGFixture.jfif, JPEGFixture.frame(marker, width: 4032, height: 3024))
        #expect(ImageHeader.pixelCount(of: jpeg, kind: .jpeg) == 4032 * 3024)
    }

    @Test func aHuffmanTableIsNotMistakenForAFrame() {
        let jpeg = JPEGFixture.image(JPEGFixture.huffmanTable, JPEGFixture.frame(width: 100, height: 100))
        #expect(ImageHeader.pixelCount(of: jpeg, kind: .jpeg) == 10_000)
    }

    @Test func aLargerFrameAfterTheFirstScanCounts() {
        let jpeg =
            [0xFF, 0xD8] + JPEGFixture.frame(width: 100, height: 100) + JPEGFixture.scan
            + JPEGFixture.frame(0xC2, width: 10_000, height: 9_000) + JPEGFixture.scan + [0xFF, 0xD9]
        #expect(ImageHeader.pixelCount(of: jpeg, kind: .jpeg) == 90_000_000)
        #expect(throws: AttachmentRules.Refusal.imageTooLarge(maxPixels: 50_000_000)) {
            try AttachmentRules.inspect(jpeg, kind: .jpeg)
        }
    }

    @Test func aJPEGWithoutAFrameOrWithItsHeightLeftForLaterIsUnreadable() {
        #expect(ImageHeader.pixelCount(of: JPEGFixture.image(JPEGFixture.jfif), kind: .jpeg) == nil)
        let deferredHeight = JPEGFixture.image(JPEGFixture.frame(width: 100, height: 0))
        #expect(ImageHeader.pixelCount(of: deferredHeight, kind: .jpeg) == nil)
    }

    @Test func aJPEGCutOffBeforeItsFrameEndsIsUnreadable() {
        let jpeg = JPEGFixture.image(JPEGFixture.jfif, JPEGFixture.frame(width: 100, height: 100))
        let frameEnd = 2 + JPEGFixture.jfif.count + JPEGFixture.frame(width: 100, height: 100).count
        for length in 0..<frameEnd {
            #expect(ImageHeader.pixelCount(of: Array(jpeg.prefix(length)), kind: .jpeg) == nil, "cut at \(length)")
        }
    }

    @Test func kindsWithoutAReadableHeaderHaveNoCount() {
        #expect(ImageHeader.pixelCount(of: PNGFixture.image(width: 1, height: 1), kind: .heic) == nil)
        #expect(ImageHeader.pixelCount(of: PNGFixture.image(width: 1, height: 1), kind: .jpeg) == nil)
    }

    static let tooLarge = AttachmentRules.Refusal.imageTooLarge(maxPixels: 50_000_000)
    static let widestGIF = GIFFixture.image(width: 65_535, height: 65_535, frames: [.init(width: 1, height: 1)])

    /// (image, kind, refusal)
    @Test(
        arguments: [
            (PNGFixture.image(width: 7_000, height: 7_000), AttachmentKind.png, nil),
            (PNGFixture.image(width: 10_000, height: 5_000), .png, nil),
            (PNGFixture.image(width: 10_000, height: 5_001), .png, tooLarge),
            (PNGFixture.image(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF), .png, tooLarge),
            (widestGIF, .gif, tooLarge),
            (JPEGFixture.image(JPEGFixture.frame(width: 8_000, height: 6_000)), .jpeg, nil),
            (JPEGFixture.image(JPEGFixture.frame(width: 9_000, height: 6_000)), .jpeg, tooLarge),
            (Array(PNGFixture.image(width: 1, height: 1).prefix(20)), .png, .unreadable(kind: .png)),
            (Bytes.ascii("GIF89a"), .gif, .unreadable(kind: .gif)),
            ([0xFF, 0xD8, 0xFF, 0xD9], .jpeg, .unreadable(kind: .jpeg)),
        ] as [([UInt8], AttachmentKind, AttachmentRules.Refusal?)])
    func imagesOverFiftyMegapixelsOrUnreadableAreRefused(
        image: [UInt8], kind: AttachmentKind, refusal: AttachmentRules.Refusal?
    ) {
        let outcome = Result { () throws(AttachmentRules.Refusal) in try AttachmentRules.inspect(image, kind: kind) }
        switch (outcome, refusal) {
        case (.success, nil): break
        case (.failure(let actual), let expected?): #expect(actual == expected)
        default: Issue.record("expected \(String(describing: refusal)), got \(outcome)")
        }
    }

    @Test func theRefusalSaysWhyInPlainWords() {
        #expect(
            AttachmentRules.Refusal.imageTooLarge(maxPixels: 50_000_000).message
                == "This image is too large to accept: it declares more than 50 megapixels.")
        #expect(
            AttachmentRules.Refusal.unreadable(kind: .jpeg).message
                == "This JPEG image could not be read: it may be damaged or incomplete. Try saving it again and attaching the new copy."
        )
    }

    @Test func damagedImagesNeverTrap() {
        let gif = GIFFixture.image(
            width: 30, height: 20, frames: [.init(width: 30, height: 20), .init(width: 5, height: 5)])
        let jpeg = JPEGFixture.image(
            JPEGFixture.jfif, JPEGFixture.huffmanTable, JPEGFixture.frame(width: 64, height: 48))
        let images: [([UInt8], AttachmentKind)] = [
            (PNGFixture.image(width: 640, height: 480), .png), (gif, .gif), (jpeg, .jpeg),
        ]
        var random = SeededGenerator(state: 17)
        for (image, kind) in images {
            for length in 0...image.count { _ = ImageHeader.pixelCount(of: Array(image.prefix(length)), kind: kind) }
            for _ in 0..<1_000 { _ = ImageHeader.pixelCount(of: random.damaged(image), kind: kind) }
        }
    }
}
