import Foundation
import Vapor

/// How long someone must wait after too many failures, as a page says it and as `Retry-After` carries it: whole
/// minutes, at least one, until the oldest counted failure leaves the window.
struct Wait {
    let minutes: Int

    init(until: Date, now: Date) {
        minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
    }

    /// "Too many wrong codes. Wait 3 minutes and try again."
    func sentence(_ tooMany: String) -> String {
        "\(tooMany) Wait \(minutes) minute\(minutes == 1 ? "" : "s") and try again."
    }

    /// The page that says so, with `Retry-After`.
    func marking(_ response: Response) -> Response {
        response.headers.replaceOrAdd(name: .retryAfter, value: String(minutes * 60))
        return response
    }
}
