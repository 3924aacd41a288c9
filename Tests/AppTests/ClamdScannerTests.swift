import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import App

/// The clamd client. Against a stand-in server always; against a real clamd when `CAREBOX_CLAMD` names one
/// (`eval "$(scripts/clamd start)"`).
@Suite struct ClamdScannerTests {
    static let environment = ProcessInfo.processInfo.environment
    static let clamdIsRunning = environment["CAREBOX_CLAMD"].map { !$0.isEmpty } ?? false
    /// scripts/clamd's clamd: its database finds EICAR anywhere in a stream, and its StreamMaxLength is 30M.
    static let scriptClamdIsRunning = clamdIsRunning && environment["CAREBOX_CLAMD_DIR"] != nil

    /// EICAR's test file, put together here so that no source file is itself a test virus.
    static let eicar = Array(("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*").utf8)

    // MARK: CAREBOX_CLAMD and CAREBOX_CLAMD_FAIL

    @Test func addressesAreHostPortBracketedIPv6PortOrASocketPath() throws {
        #expect(try ClamdAddress(parsing: "127.0.0.1:3310") == .tcp(host: "127.0.0.1", port: 3310))
        #expect(try ClamdAddress(parsing: "clamd.internal:3310") == .tcp(host: "clamd.internal", port: 3310))
        #expect(try ClamdAddress(parsing: "clamav_1:1") == .tcp(host: "clamav_1", port: 1))
        #expect(try ClamdAddress(parsing: "[::1]:3310") == .tcp(host: "::1", port: 3310))
        #expect(try ClamdAddress(parsing: "[fd00::2:1]:65535") == .tcp(host: "fd00::2:1", port: 65535))
        #expect(try ClamdAddress(parsing: "/run/clamav/clamd.ctl") == .unixSocket(path: "/run/clamav/clamd.ctl"))
        #expect(try ClamdAddress(parsing: "[::1]:3310").description == "[::1]:3310")
        #expect(try ClamdAddress(parsing: "localhost:3310").description == "localhost:3310")
    }

    @Test(arguments: [
        "clamd", "clamd:", ":3310", "clamd:0", "clamd:65536", "clamd:33x", "clamd:+3310", "clamd:003310",
        "::1:3310", "[::1]", "[::1]3310", "[::1]:", "[clamd]:3310", "[127.0.0.1]:3310", "tcp://clamd:3310",
        "clam d:3310", "clamd/x:3310", "run/clamd.ctl", "./clamd.ctl", "/" + String(repeating: "x", count: 120),
    ])
    func anythingElseIsRefused(_ value: String) {
        // One fixed message: the value itself is not repeated.
        #expect(throws: VirusScannerConfigurationError(problem: ClamdAddress.expected)) {
            try ClamdScanner.fromEnvironment(value)
        }
    }

    @Test func unsetOrEmptyMeansNoScanning() throws {
        #expect(try ClamdScanner.fromEnvironment(nil) == nil)
        #expect(try ClamdScanner.fromEnvironment("") == nil)
        let scanner = try #require(try ClamdScanner.fromEnvironment("127.0.0.1:3310"))
        #expect(scanner.address == .tcp(host: "127.0.0.1", port: 3310))
        #expect(scanner.connectTimeout == .seconds(2))
        #expect(scanner.timeout == .seconds(30))
    }

    @Test func failingClosedIsTheDefault() throws {
        #expect(try ScanFailurePolicy.fromEnvironment(nil) == .closed)
        #expect(try ScanFailurePolicy.fromEnvironment("") == .closed)
        #expect(try ScanFailurePolicy.fromEnvironment("closed") == .closed)
        #expect(try ScanFailurePolicy.fromEnvironment("Open") == .open)
        #expect(throws: VirusScannerConfigurationError.self) { try ScanFailurePolicy.fromEnvironment("opne") }
    }

    // MARK: Replies

    @Test func repliesAreVerdictsOrUnavailable() throws {
        #expect(try ClamdScanner.verdict(fromReply: "stream: OK") == .clean)
        #expect(
            try ClamdScanner.verdict(fromReply: "stream: Win.Test.EICAR_HDB-1 FOUND")
                == .infected(signature: "Win.Test.EICAR_HDB-1"))
        #expect(throws: VirusScannerError.unavailable(.sizeLimitExceeded)) {
            try ClamdScanner.verdict(fromReply: "INSTREAM size limit exceeded. ERROR")
        }
        for reply in [
            "", "stream: ", "stream:  FOUND", "stream: OK FOUND\nx", "PONG", "UNKNOWN COMMAND", "stream: ERROR",
        ] {
            #expect(throws: VirusScannerError.unavailable(.unexpectedReply)) {
                try ClamdScanner.verdict(fromReply: reply)
            }
        }
    }

    // MARK: Against a stand-in

    @Test func contentIsSentInChunksOfAtMost64KiBEndedByAnEmptyOne() async throws {
        let server = try await FakeClamd.start(.reply("stream: OK"))
        defer { server.stop() }
        let content = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let chunks = [ByteBuffer(), ByteBuffer(bytes: content[..<150_000]), ByteBuffer(bytes: content[150_000...])]

        #expect(try await server.scanner.scan(chunks) == .clean)
        let received = server.received.withLockedValue { $0 }
        #expect(received.command == "zINSTREAM\0")
        #expect(received.chunkLengths == [65_536, 65_536, 18_928, 50_000])
        #expect(received.content == content)
        #expect(received.ended)
    }

    @Test func aFoundSignatureIsReported() async throws {
        let server = try await FakeClamd.start(.reply("stream: Some.Name-1 FOUND"))
        defer { server.stop() }
        #expect(try await server.scanner.scan(bytes: [1, 2, 3]) == .infected(signature: "Some.Name-1"))
    }

    @Test func nothingListeningIsUnavailableAtOnceAndTheContentStillRunsToItsEnd() async throws {
        var scanner = ClamdScanner(address: .tcp(host: "127.0.0.1", port: try Self.closedPort()))
        // Far longer than any loaded machine stalls a test (27 s has been seen with every suite starting at once), so
        // the bound below tells "at once" from "after the timeout" without timing anything close.
        scanner.timeout = .seconds(600)
        let sent = NIOLockedValueBox(0)
        let started = ContinuousClock.now
        await #expect(throws: VirusScannerError.unavailable(.unreachable)) {
            try await scanner.scan { send in
                for _ in 0..<3 {
                    await send(ByteBuffer(bytes: [1, 2, 3]))
                    sent.withLockedValue { $0 += 1 }
                }
            }
        }
        #expect(ContinuousClock.now - started < .seconds(300))
        #expect(sent.withLockedValue { $0 } == 3)
        await #expect(throws: VirusScannerError.unavailable(.unreachable)) { try await scanner.ping() }
    }

    @Test func anErrorFromTheContentIsPassedOn() async throws {
        struct UploadFailed: Error {}
        let server = try await FakeClamd.start(.reply("stream: OK"))
        defer { server.stop() }
        await #expect(throws: UploadFailed.self) {
            try await server.scanner.scan { send in
                await send(ByteBuffer(bytes: [1]))
                throw UploadFailed()
            }
        }
        let unreachable = ClamdScanner(address: .tcp(host: "127.0.0.1", port: try Self.closedPort()))
        await #expect(throws: UploadFailed.self) { try await unreachable.scan { _ in throw UploadFailed() } }
    }

    @Test func aScannerThatNeverAnswersTimesOut() async throws {
        let server = try await FakeClamd.start(.silent)
        defer { server.stop() }
        var scanner = server.scanner
        scanner.timeout = .milliseconds(300)
        let started = ContinuousClock.now
        await #expect(throws: VirusScannerError.unavailable(.timedOut)) { try await scanner.scan(bytes: [1, 2, 3]) }
        // Not a speed check: only that the scanner's own timeout ended the wait, long before the 600-second one the
        // stand-in's scanner starts with (a loaded machine has taken 27 s to get here).
        #expect(ContinuousClock.now - started < .seconds(300))
    }

    @Test func aScannerThatStopsReadingTimesOutAndTheRestOfTheContentIsDiscarded() async throws {
        let server = try await FakeClamd.start(.notReading)
        defer { server.stop() }
        var scanner = server.scanner
        scanner.timeout = .milliseconds(300)
        let chunk = ByteBuffer(repeating: 0x61, count: 1 << 20)
        let sent = NIOLockedValueBox(0)
        let started = ContinuousClock.now
        // 256 MiB: far more than the socket buffers hold.
        await #expect(throws: VirusScannerError.unavailable(.timedOut)) {
            try await scanner.scan { send in
                for _ in 0..<256 {
                    await send(chunk)
                    sent.withLockedValue { $0 += 1 }
                }
            }
        }
        // Not a speed check: the 256 chunks were discarded without a wait each (256 × 300 ms), on a loaded machine too.
        #expect(ContinuousClock.now - started < .seconds(40))
        #expect(sent.withLockedValue { $0 } == 256)
    }

    @Test func aServerThatIsNotClamdIsUnavailable() async throws {
        let server = try await FakeClamd.start(.reply("HTTP/1.1 400 Bad Request\r\n\r\n"))
        defer { server.stop() }
        await #expect(throws: VirusScannerError.unavailable(.unexpectedReply)) {
            try await server.scanner.scan(bytes: [1])
        }
        let closing = try await FakeClamd.start(.close)
        defer { closing.stop() }
        await #expect(throws: VirusScannerError.unavailable(.connectionLost)) {
            try await closing.scanner.scan(bytes: [1])
        }
    }

    // MARK: Against clamd

    @Test(.enabled(if: clamdIsRunning)) func cleanContentIsClean() async throws {
        let scanner = try Self.realScanner()
        try await scanner.ping()
        #expect(try await scanner.scan(bytes: Array("Dear Dr Smith, the results are attached.".utf8)) == .clean)
        #expect(try await scanner.scan([ByteBuffer]()) == .clean)
        #expect(try await scanner.scan([ByteBuffer(repeating: 0, count: 300_000)]) == .clean)
    }

    @Test(.enabled(if: clamdIsRunning)) func eicarIsInfected() async throws {
        let verdict = try await Self.realScanner().scan(bytes: Self.eicar)
        guard case .infected(let signature) = verdict else {
            Issue.record("EICAR was \(verdict)")
            return
        }
        #expect(signature.uppercased().contains("EICAR"))
    }

    @Test(.enabled(if: clamdIsRunning)) func eicarSplitAcrossChunksIsInfected() async throws {
        let chunks = [Self.eicar[..<10], Self.eicar[10..<11], Self.eicar[11..<40], Self.eicar[40...]]
        let verdict = try await Self.realScanner().scan(chunks.map { ByteBuffer(bytes: $0) })
        #expect(verdict != .clean)
        if case .infected(let signature) = verdict { #expect(signature.uppercased().contains("EICAR")) }
    }

    @Test(.enabled(if: scriptClamdIsRunning)) func eicarAcrossThe64KiBBoundaryInsideOtherContentIsInfected()
        async throws
    {
        let filler = Array(repeating: UInt8(ascii: "a"), count: ClamdScanner.chunkSize - 30)
        let verdict = try await Self.realScanner().scan([ByteBuffer(bytes: filler + Self.eicar + filler)])
        #expect(verdict != .clean)
    }

    @Test(.enabled(if: scriptClamdIsRunning)) func overTheUnixSocketToo() async throws {
        let path = try #require(Self.environment["CAREBOX_CLAMD_SOCKET"])
        let scanner = try #require(try ClamdScanner.fromEnvironment(path))
        try await scanner.ping()
        #expect(try await scanner.scan(bytes: [1, 2, 3]) == .clean)
        #expect(try await scanner.scan(bytes: Self.eicar) != .clean)
    }

    @Test(.enabled(if: scriptClamdIsRunning)) func contentLongerThanStreamMaxLengthIsUnavailable() async throws {
        let chunk = ByteBuffer(repeating: 0x61, count: 1 << 20)
        await #expect(throws: VirusScannerError.unavailable(.sizeLimitExceeded)) {
            try await Self.realScanner().scan(Array(repeating: chunk, count: 31))
        }
    }

    // MARK: Helpers

    static func realScanner() throws -> ClamdScanner {
        try #require(try ClamdScanner.fromEnvironment(environment["CAREBOX_CLAMD"]))
    }

    /// A port on 127.0.0.1 that nothing listens on (just now).
    static func closedPort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = try #require(channel.localAddress?.port)
        try channel.close().wait()
        return port
    }
}

/// A stand-in for clamd on 127.0.0.1: reads one INSTREAM request, keeps what it was sent, and answers as told.
struct FakeClamd {
    enum Behaviour: Sendable {
        case reply(String)
        /// Reads everything, never answers.
        case silent
        /// Never reads, so the client's writes back up.
        case notReading
        /// Closes the connection once the content has ended.
        case close
    }

    struct Received: Sendable {
        var command = ""
        var chunkLengths: [Int] = []
        var content: [UInt8] = []
        var ended = false
    }

    let channel: any Channel
    let received: NIOLockedValueBox<Received>

    /// A scanner for this stand-in, with a timeout no test waits for unless it sets its own.
    var scanner: ClamdScanner {
        var scanner = ClamdScanner(address: .tcp(host: "127.0.0.1", port: channel.localAddress!.port!))
        scanner.timeout = .seconds(600)
        return scanner
    }

    static func start(_ behaviour: Behaviour) async throws -> FakeClamd {
        let received = NIOLockedValueBox(Received())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if case .notReading = behaviour { try channel.syncOptions?.setOption(.autoRead, value: false) }
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeClamd(channel: channel, received: received)
    }

    func stop() {
        channel.close(promise: nil)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let behaviour: Behaviour
        let received: NIOLockedValueBox<Received>
        var pending = ByteBuffer()
        var commandRead = false

        init(behaviour: Behaviour, received: NIOLockedValueBox<Received>) {
            self.behaviour = behaviour
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            pending.writeBuffer(&incoming)
            if !commandRead {
                guard let command = pending.readString(length: 10) else { return }
                commandRead = true
                received.withLockedValue { $0.command = command }
            }
            while let length = pending.getInteger(at: pending.readerIndex, as: UInt32.self),
                pending.readableBytes >= 4 + Int(length)
            {
                pending.moveReaderIndex(forwardBy: 4)
                if length == 0 {
                    received.withLockedValue { $0.ended = true }
                    switch behaviour {
                    case .reply(let text):
                        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\0")), promise: nil)
                    case .close: context.close(promise: nil)
                    case .silent, .notReading: break
                    }
                    return
                }
                let chunk = pending.readBytes(length: Int(length))!
                received.withLockedValue {
                    $0.chunkLengths.append(chunk.count)
                    $0.content += chunk
                }
            }
        }
    }
}
