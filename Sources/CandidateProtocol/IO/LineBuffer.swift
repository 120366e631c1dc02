#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read from a stream, split into lines at `"\n"`, without ever holding more than the caller allows.
///
/// The caller reads into it with ``read(from:)`` and takes complete lines with ``nextLine()``; the
/// bytes of a line that is still incomplete are ``pendingCount``, which the caller compares with its
/// limit after each read. Reads are at most ``chunkSize`` bytes, so a line that is too long is noticed
/// within one chunk of the limit.
package struct LineBuffer {
    /// The most bytes one ``read(from:)`` takes.
    package static let chunkSize = 1 << 16

    private var storage: [UInt8] = []
    /// The first byte not yet returned.
    private var start = 0
    /// How many bytes after `start` are known to hold no newline.
    private var scanned = 0
    /// Whether bytes are being dropped up to the next newline.
    private var skipping = false
    private var chunk: [UInt8] = []

    /// An empty buffer.
    package init() {}

    /// The outcome of one read.
    package enum ReadResult: Equatable {
        case bytes(Int)
        case endOfFile
        case wouldBlock
        case failed(errno: Int32)
    }

    /// The bytes of the incomplete line at the end, not counting bytes that are being skipped.
    package var pendingCount: Int { storage.count - start }

    /// Whether there are no unread bytes at all.
    package var isEmpty: Bool { storage.count == start }

    /// Reads once from a file descriptor (retrying on EINTR) and keeps the bytes.
    package mutating func read(from descriptor: Int32) -> ReadResult {
        if chunk.isEmpty { chunk = [UInt8](repeating: 0, count: Self.chunkSize) }
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress, buffer.count)
            }
            if count > 0 {
                chunk.withUnsafeBufferPointer { append(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                return .bytes(count)
            }
            if count == 0 { return .endOfFile }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(errno: code)
        }
    }

    /// Keeps bytes that were read some other way.
    package mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        } else if start >= Self.chunkSize && start >= storage.count / 2 {
            storage.removeSubrange(0..<start)
            start = 0
        }
        if skipping {
            guard let newline = bytes.firstIndex(of: 0x0A) else { return }
            skipping = false
            storage.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(newline + 1)...]))
            return
        }
        storage.append(contentsOf: bytes)
    }

    /// The next complete line, without its `"\n"`, or `nil` when no complete line is buffered.
    ///
    /// The slice shares the buffer's storage; let it go before the next read.
    package mutating func nextLine() -> ArraySlice<UInt8>? {
        let found: Int? = storage.withUnsafeBufferPointer { buffer in
            let from = start + scanned
            let length = buffer.count - from
            guard length > 0, let base = buffer.baseAddress,
                let hit = memchr(base + from, 0x0A, length)
            else { return nil }
            return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
        }
        guard let newline = found else {
            scanned = storage.count - start
            return nil
        }
        let line = storage[start..<newline]
        start = newline + 1
        scanned = 0
        return line
    }

    /// The incomplete line at the end, which ends a stream that does not end in a newline.
    package mutating func takeRest() -> ArraySlice<UInt8> {
        let rest = storage[start...]
        start = storage.count
        scanned = 0
        return rest
    }

    /// Drops the incomplete line and every byte up to and including the next newline yet to be read.
    package mutating func skipPendingLine() {
        start = storage.count
        scanned = 0
        skipping = true
    }
}

@inline(__always)
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.read(descriptor, buffer, count)
    #elseif canImport(Musl)
    Musl.read(descriptor, buffer, count)
    #else
    Glibc.read(descriptor, buffer, count)
    #endif
}
