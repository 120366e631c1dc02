// Shared by every libFuzzer target: each target folder links this file under the same name.

/// Draws typed values from a fuzzer's input, front to back.
///
/// Past the end of the input every draw yields zero bits, so any input, even an empty one, describes a
/// complete test; libFuzzer's mutations of a prefix then keep their meaning.
struct FuzzBytes {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = UnsafeBufferPointer(start: data, count: size)
    }

    /// Whether every byte has been drawn.
    var isExhausted: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// `count` bytes as a little-endian unsigned integer.
    mutating func bits(_ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for position in 0..<count { value |= UInt64(byte()) << (8 * position) }
        return value
    }

    mutating func uint16() -> UInt16 { UInt16(truncatingIfNeeded: bits(2)) }
    mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: bits(4)) }
    mutating func uint64() -> UInt64 { bits(8) }

    /// A number in `0..<count` from one byte (two when `count` exceeds 256); 0 when `count` is 0.
    mutating func index(_ count: Int) -> Int {
        guard count > 0 else { return 0 }
        let raw = count > 256 ? Int(uint16()) : Int(byte())
        return raw % count
    }

    mutating func pick<T>(_ options: [T]) -> T { options[index(options.count)] }

    /// The bytes not drawn yet; drawing ends.
    mutating func rest() -> UnsafeBufferPointer<UInt8> {
        let start = Swift.min(offset, bytes.count)
        offset = bytes.count
        return UnsafeBufferPointer(rebasing: bytes[start...])
    }
}

/// Stops the run with a message when a property does not hold. (`precondition` drops its message in
/// release builds, and libFuzzer then reports only a deadly signal.)
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
