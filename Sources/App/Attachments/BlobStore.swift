import Crypto
import Foundation
import NIOCore
import NIOPosix

/// Where attachment content lives, named by the SHA-256 of the plain content. Carebox keeps only encrypted bytes in it.
protocol BlobStore: Sendable {
    /// Starts a new blob; bytes are encrypted as they are written.
    func makeWriter() throws -> BlobWriter
    /// Makes a finished writer's blob permanent under its hash, atomically. Returns the hash.
    func commit(_ writer: BlobWriter) async throws -> String
    /// The decrypted content. Throws `BlobError.damaged` when the stored bytes fail authentication.
    func read(_ sha256: String) async throws -> Data
    func delete(_ sha256: String) async throws
    /// Every stored blob with when it was written, for clean-up.
    func all() async throws -> [(sha256: String, writtenAt: Date)]
}

enum BlobError: Error, Equatable {
    case damaged
    case missing
}

/// Encrypts a stream with AES-256-GCM in 64 KiB chunks (each with its own nonce, the last one marked), so neither
/// writing nor checking needs the whole file in memory, and chunks cannot be reordered, dropped or cut off unnoticed.
///
/// File layout: "CBX1", an 8-byte random nonce prefix, then per chunk a 4-byte big-endian length and the sealed
/// chunk (ciphertext + 16-byte tag). Nonce = prefix ‖ chunk index (4 bytes); additional data = 1 for the last chunk.
final class BlobWriter: @unchecked Sendable {
    static let chunkSize = 64 * 1024
    static let magic = Array("CBX1".utf8)

    let temporaryURL: URL
    private let handle: FileHandle
    private let key: SymmetricKey
    private let noncePrefix: [UInt8]
    private var hasher = SHA256()
    private var pending: [UInt8] = []
    private var chunkIndex: UInt32 = 0
    private(set) var size = 0
    private(set) var sha256: String?
    /// The first bytes, kept for recognising the content.
    private(set) var prefix: [UInt8] = []

    init(temporaryURL: URL, key: SymmetricKey) throws {
        guard
            FileManager.default.createFile(
                atPath: temporaryURL.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else { throw BlobError.missing }
        self.temporaryURL = temporaryURL
        self.handle = try FileHandle(forWritingTo: temporaryURL)
        self.key = key
        self.noncePrefix = [UInt8].random(count: 8)
        try handle.write(contentsOf: Self.magic + noncePrefix)
    }

    func write(_ bytes: some Collection<UInt8>) throws {
        size += bytes.count
        hasher.update(data: Array(bytes))
        if prefix.count < 65_536 { prefix += bytes.prefix(65_536 - prefix.count) }
        pending += bytes
        // Keep the last chunk back: only at the end is it known to be the last.
        while pending.count > Self.chunkSize {
            try seal(Array(pending.prefix(Self.chunkSize)), final: false)
            pending.removeFirst(Self.chunkSize)
        }
    }

    /// Seals the last chunk and flushes the file to disk.
    func finish() throws {
        try seal(pending, final: true)
        pending = []
        try handle.synchronize()
        try handle.close()
        sha256 = hasher.finalize().hex
    }

    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: temporaryURL)
    }

    private func seal(_ chunk: [UInt8], final: Bool) throws {
        let box = try AES.GCM.seal(
            chunk, using: key, nonce: try Self.nonce(noncePrefix, chunkIndex), authenticating: [final ? 1 : 0])
        let sealed = Array(box.ciphertext) + Array(box.tag)
        try handle.write(contentsOf: Self.bigEndian(UInt32(sealed.count)) + sealed)
        chunkIndex += 1
    }

    static func nonce(_ prefix: [UInt8], _ index: UInt32) throws -> AES.GCM.Nonce {
        try AES.GCM.Nonce(data: prefix + bigEndian(index))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Decrypts a whole blob, checking every chunk and that the last one is there.
    static func open(_ data: Data, key: SymmetricKey) throws -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 12, Array(bytes[0..<4]) == magic else { throw BlobError.damaged }
        let prefix = Array(bytes[4..<12])
        var offset = 12
        var index: UInt32 = 0
        var plain = Data()
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw BlobError.damaged }
            let length =
                Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            offset += 4
            guard length >= 16, offset + length <= bytes.count else { throw BlobError.damaged }
            let sealed = bytes[offset..<offset + length]
            offset += length
            let final = offset == bytes.count
            do {
                let box = try AES.GCM.SealedBox(
                    nonce: try nonce(prefix, index), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
                plain.append(contentsOf: try AES.GCM.open(box, using: key, authenticating: [final ? 1 : 0]))
            } catch {
                throw BlobError.damaged
            }
            index += 1
        }
        guard index > 0 else { throw BlobError.damaged }
        return plain
    }
}

/// Blobs in a directory: `<root>/<first two hex digits>/<sha256>`, written to `<root>/tmp` first, fsynced, then
/// renamed into place, so a crash never leaves a half-written file under a hash.
struct DirectoryBlobStore: BlobStore {
    let root: URL
    let key: SymmetricKey

    init(root: URL, key: SymmetricKey) throws {
        self.root = root
        self.key = key
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
    }

    func makeWriter() throws -> BlobWriter {
        try BlobWriter(temporaryURL: root.appendingPathComponent("tmp/\(UUID().uuidString)"), key: key)
    }

    func commit(_ writer: BlobWriter) async throws -> String {
        guard let sha = writer.sha256 else { throw BlobError.missing }
        let destination = path(sha)
        try await NIOThreadPool.singleton.runIfActive {
            let manager = FileManager.default
            try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Replacing an existing copy of the same content is deliberate: it is then encrypted with the current key.
            guard rename(writer.temporaryURL.path, destination.path) == 0 else { throw BlobError.missing }
            let directory = open(destination.deletingLastPathComponent().path, O_RDONLY)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
        return sha
    }

    func read(_ sha256: String) async throws -> Data {
        let url = path(sha256)
        let key = self.key
        return try await NIOThreadPool.singleton.runIfActive {
            guard let data = FileManager.default.contents(atPath: url.path) else { throw BlobError.missing }
            return try BlobWriter.open(data, key: key)
        }
    }

    func delete(_ sha256: String) async throws {
        try? FileManager.default.removeItem(at: path(sha256))
    }

    func all() async throws -> [(sha256: String, writtenAt: Date)] {
        let manager = FileManager.default
        var found: [(String, Date)] = []
        for directory in (try? manager.contentsOfDirectory(atPath: root.path)) ?? [] where directory.count == 2 {
            let folder = root.appendingPathComponent(directory)
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let attributes = try? manager.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
                found.append((name, attributes?[.modificationDate] as? Date ?? .distantPast))
            }
        }
        return found
    }

    /// A hash is 64 hex digits by construction; anything else never reaches the file system.
    func path(_ sha256: String) -> URL {
        precondition(sha256.count == 64 && sha256.allSatisfy(\.isHexDigit), "not a SHA-256")
        return root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }
}
