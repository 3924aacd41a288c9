import Foundation
import NIOCore

/// What a stream writes, in the `text/event-stream` format. Data is JSON of ids and numbers that the server made,
/// never text anyone typed: nothing in it needs escaping.
enum LiveMessage {
    /// A comment line: keeps proxies and the browser from timing out an idle connection.
    static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")

    static func retry(_ delay: Duration) -> ByteBuffer {
        ByteBuffer(string: "retry: \(delay.components.seconds * 1000)\n\n")
    }

    /// The Inbox's unread count, for the Messages badge.
    static func unread(_ count: Int) -> String {
        event("unread", #"{"unread":\#(count)}"#)
    }

    /// The viewed conversation has messages up to `seq`: the page fetches them through the conversation's own page.
    static func message(in conversation: UUID, seq: Int) -> String {
        event("message", #"{"conversation":"\#(conversation.uuidString)","seq":\#(seq)}"#)
    }

    /// Something in the In Basket changed: the page fetches its table again.
    static let inBasket = event("inbasket", "{}")

    /// The last event of a stream: the page stops listening and does not reconnect.
    static func end(_ reason: String) -> ByteBuffer {
        ByteBuffer(string: event("end", #"{"reason":"\#(reason)"}"#))
    }

    static func event(_ name: String, _ data: String) -> String {
        "event: \(name)\ndata: \(data)\n\n"
    }
}
