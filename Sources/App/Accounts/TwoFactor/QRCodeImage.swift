import CQRencode
import Foundation

/// A QR code drawn on the server as SVG, for the set-up page to show as an image: nothing about the secret it carries
/// leaves for another service to draw.
enum QRCodeImage {
    /// An SVG of `text` as a QR code (error correction M, with the standard four-module quiet zone), or nil if it does
    /// not fit in one.
    static func svg(_ text: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quietZone = 4
        var path = ""
        for row in 0..<width {
            for column in 0..<width where code.pointee.data[row * width + column] & 1 == 1 {
                path += "M\(column + quietZone) \(row + quietZone)h1v1h-1z"
            }
        }
        let size = width + 2 * quietZone
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges">\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// The SVG as a `data:` URL, which the Content-Security-Policy allows for images.
    static func dataURL(_ text: String) -> String? {
        svg(text).map { "data:image/svg+xml;base64," + Data($0.utf8).base64EncodedString() }
    }
}
