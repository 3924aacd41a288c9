import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Vapor

/// A second, lean way in to `GET /events`, for servers that hold many idle streams (`CAREBOX_EVENTS_ADDRESS`; a
/// reverse proxy sends `/events` there). Vapor keeps its whole HTTP pipeline and the request for as long as a streaming
/// response lasts, about 18 KB a stream; here the connection keeps only SwiftNIO's socket with a small receive buffer,
/// and the stream itself (see bench/RESULTS.md, "Idle live-update streams").
///
/// The request still goes through the application's own responder, so its middleware and `EventsController` decide
/// exactly as on the main port: the same session check, the same answers. When the controller opens a stream, this
/// listener writes the response head itself, drops the request and Vapor's handlers, and gives `LiveUpdates` a writer
/// onto the socket. The response has no length and `Connection: close`: the stream ends when the connection does.
/// Any other request is answered whole, then the connection closes.
struct LiveStreamListener: LifecycleHandler {
    let address: ListenAddress
    /// A connection that sends no whole request head in this time is closed.
    var headTimeout = TimeAmount.seconds(30)

    private final class ChannelBox: @unchecked Sendable {
        var channel: (any Channel)?
    }

    private let box = ChannelBox()

    init(address: ListenAddress, headTimeout: TimeAmount = .seconds(30)) {
        self.address = address
        self.headTimeout = headTimeout
    }

    func didBootAsync(_ application: Application) async throws {
        let responder = application.responder.current
        let app = application
        let headTimeout = headTimeout
        let bootstrap = ServerBootstrap(group: application.eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            // Each connection keeps its receive buffer for the next read, at the largest size it has read with: a
            // small fixed one, since a stream reads one request head (a browser's takes three or four reads).
            .childChannelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 256))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
                    try channel.pipeline.syncOperations.addHandler(decoder)
                    try channel.pipeline.syncOperations.addHandler(
                        StreamRequestHandler(
                            app: app, responder: responder, decoder: decoder, headTimeout: headTimeout))
                }
            }
        box.channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        application.logger.info("Live-update streams also served at \(address)")
    }

    func shutdownAsync(_ application: Application) async {
        try? await box.channel?.close()
    }

    /// The port it is bound to (for tests, which ask for port 0).
    var boundPort: Int? { box.channel?.localAddress?.port }
}

/// Reads one request head, has the application answer it, and either streams or answers and closes.
private final class StreamRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    let app: Application
    let responder: any Responder
    let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    let headTimeout: TimeAmount
    private var head: HTTPRequestHead?
    private var answered = false
    private var timeout: Scheduled<Void>?

    init(
        app: Application, responder: any Responder, decoder: ByteToMessageHandler<HTTPRequestDecoder>,
        headTimeout: TimeAmount
    ) {
        self.app = app
        self.responder = responder
        self.decoder = decoder
        self.headTimeout = headTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timeout = context.eventLoop.scheduleTask(in: headTimeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head, !answered else { return }
            answered = true
            timeout?.cancel()
            timeout = nil
            // Nothing more is read as a request: the decoder and this handler go, and later bytes are dropped.
            let pipeline = context.pipeline.syncOperations
            let channel = context.channel
            pipeline.removeHandler(decoder, promise: nil)
            try? pipeline.addHandler(DiscardInbound(), position: .last)
            pipeline.removeHandler(context: context, promise: nil)
            respond(to: head, on: channel)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed request: there is no one to answer sensibly.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        context.fireChannelInactive()
    }

    private func respond(to head: HTTPRequestHead, on channel: any Channel) {
        let app = self.app
        let request = Request(
            application: app, method: head.method, url: URI(string: head.uri), version: head.version,
            headers: head.headers, collectedBody: nil, remoteAddress: channel.remoteAddress, logger: app.logger,
            byteBufferAllocator: channel.allocator, on: channel.eventLoop)
        let opened: EventLoopFuture<(Response, LiveStream?)>
        if head.method == .GET, request.url.path == "/events" {
            opened = responder.respond(to: request).map { ($0, request.storage[EventsController.OpenedStream.self]) }
        } else {
            opened = channel.eventLoop.makeSucceededFuture((Response(status: .notFound), nil))
        }
        opened.whenComplete { result in
            switch result {
            case .success((let response, let stream?)) where response.status == .ok:
                channel.writeAndFlush(Self.head(of: response, body: nil), promise: nil)
                app.liveUpdates.attach(stream, writer: ChannelStreamWriter(channel: channel))
            case .success((let response, _)):
                let body = response.body.buffer ?? ByteBuffer()
                channel.write(Self.head(of: response, body: body), promise: nil)
                channel.writeAndFlush(body).whenComplete { _ in channel.close(promise: nil) }
            case .failure:
                channel.writeAndFlush(Self.head(of: Response(status: .internalServerError), body: ByteBuffer()))
                    .whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    /// The status line and headers, with the length when there is a body and `Connection: close` always.
    static func head(of response: Response, body: ByteBuffer?) -> ByteBuffer {
        var text = "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n"
        for (name, value) in response.headers
        where !["content-length", "connection", "transfer-encoding"].contains(name.lowercased()) {
            text += "\(name): \(value)\r\n"
        }
        if let body { text += "Content-Length: \(body.readableBytes)\r\n" }
        text += "Connection: close\r\n\r\n"
        return ByteBuffer(string: text)
    }
}

/// After the request, whatever the client sends is dropped.
private final class DiscardInbound: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// Writes a stream's events straight to its socket; ending the stream closes the connection.
struct ChannelStreamWriter: BodyStreamWriter {
    let channel: any Channel
    var eventLoop: any EventLoop { channel.eventLoop }

    func write(_ result: BodyStreamResult, promise: EventLoopPromise<Void>?) {
        switch result {
        case .buffer(let buffer):
            channel.writeAndFlush(buffer, promise: promise)
        case .end, .error:
            channel.close(mode: .all, promise: nil)
            promise?.succeed()
        }
    }
}

/// A host and port to listen on: `HOST:PORT` or `[IPv6]:PORT`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Nil when `text` is not `HOST:PORT` with a port from 0 to 65535.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
