/// Standard base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`, with `=` padding), strict both ways.
///
/// Decoding accepts only canonical text: a length that is a multiple of 4, padding only at the end,
/// no whitespace or line breaks, and zero bits in the unused part of the last group (so that each byte
/// string has exactly one encoding).
///
/// ```swift
/// Base64.encode([0xFF, 0x00])  // "/wA="
/// try Base64.decode("/wA=".utf8)  // [0xFF, 0x00]
/// ```
public enum Base64 {
    /// The length of the encoding of `count` bytes, or `nil` when it does not fit in `Int`.
    public static func encodedLength(of count: Int) -> Int? {
        let (groups, overflow) = (count / 3 + (count % 3 == 0 ? 0 : 1)).multipliedReportingOverflow(by: 4)
        return overflow ? nil : groups
    }

    /// Encodes bytes as base64 text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        append(bytes, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the base64 encoding of `bytes` to `output`.
    package static func append(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            append(buffer: buffer, to: &output)
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { append(buffer: $0, to: &output) }
        }
    }

    static func append(buffer input: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        guard let length = encodedLength(of: input.count), length > 0 else { return }
        let encoded = [UInt8](unsafeUninitializedCapacity: length) { out, initialized in
            encode(input, into: out)
            initialized = length
        }
        output.append(contentsOf: encoded)
    }

    /// Encodes `input` into `out`, which has exactly room for it.
    private static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = alphabet.utf8Start
        var write = 0
        var read = 0
        let whole = input.count - input.count % 3
        while read < whole {
            let group = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8 | UInt32(input[read + 2])
            out[write] = table[Int(group >> 18)]
            out[write + 1] = table[Int(group >> 12 & 0x3F)]
            out[write + 2] = table[Int(group >> 6 & 0x3F)]
            out[write + 3] = table[Int(group & 0x3F)]
            read += 3
            write += 4
        }
        switch input.count - whole {
        case 1:
            let group = UInt32(input[read]) << 16
            out[write] = table[Int(group >> 18)]
            out[write + 1] = table[Int(group >> 12 & 0x3F)]
            out[write + 2] = UInt8(ascii: "=")
            out[write + 3] = UInt8(ascii: "=")
        case 2:
            let group = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8
            out[write] = table[Int(group >> 18)]
            out[write + 1] = table[Int(group >> 12 & 0x3F)]
            out[write + 2] = table[Int(group >> 6 & 0x3F)]
            out[write + 3] = UInt8(ascii: "=")
        default:
            break
        }
    }

    /// The number of bytes that base64 text of this length with this much padding decodes to.
    static func decodedLength(encodedLength: Int, padding: Int) -> Int {
        encodedLength / 4 * 3 - padding
    }

    /// Decodes base64 text.
    ///
    /// - Parameter expectedByteCount: when given, text that decodes to any other number of bytes is an
    ///   error found from its length alone, before any decoding.
    /// - Throws: ``Base64Error`` naming the offset of the first bad character, or the bad length.
    public static func decode(
        _ text: some Collection<UInt8>, expectedByteCount: Int? = nil
    ) throws(Base64Error) -> [UInt8] {
        let result = text.withContiguousStorageIfAvailable { buffer in
            Result { () throws(Base64Error) in try decode(buffer: buffer, expectedByteCount: expectedByteCount) }
        }
        if let result { return try result.get() }
        let copy = Array(text)
        return try copy.withUnsafeBufferPointer { buffer throws(Base64Error) in
            try decode(buffer: buffer, expectedByteCount: expectedByteCount)
        }
    }

    static func decode(buffer text: UnsafeBufferPointer<UInt8>, expectedByteCount: Int?) throws(Base64Error) -> [UInt8]
    {
        let count = text.count
        guard count % 4 == 0 else {
            throw Base64Error(offset: count, reason: "the length \(count) is not a multiple of 4")
        }
        var padding = 0
        if count > 0 && text[count - 1] == UInt8(ascii: "=") {
            padding = text[count - 2] == UInt8(ascii: "=") ? 2 : 1
        }
        let byteCount = decodedLength(encodedLength: count, padding: padding)
        if let expectedByteCount, expectedByteCount != byteCount {
            throw Base64Error(
                offset: 0,
                reason: "\(count) characters decode to \(byteCount) bytes, but \(expectedByteCount) are needed")
        }
        if byteCount == 0 { return [] }
        let dataEnd = count - padding
        return try [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized throws(Base64Error) in
            try decodeTable.withUnsafeBufferPointer { table throws(Base64Error) in
                var read = 0
                var write = 0
                let wholeGroups = padding == 0 ? count : count - 4
                while read < wholeGroups {
                    let a = table[Int(text[read])]
                    let b = table[Int(text[read + 1])]
                    let c = table[Int(text[read + 2])]
                    let d = table[Int(text[read + 3])]
                    guard (a | b | c | d) & 0x80 == 0 else {
                        throw badCharacter(in: text, from: read)
                    }
                    let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[write] = UInt8(truncatingIfNeeded: group >> 16)
                    output[write + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    output[write + 2] = UInt8(truncatingIfNeeded: group)
                    read += 4
                    write += 3
                }
                if padding > 0 {
                    var group: UInt32 = 0
                    for offset in 0..<(4 - padding) {
                        let value = table[Int(text[read + offset])]
                        guard value & 0x80 == 0 else { throw badCharacter(in: text, from: read + offset) }
                        group |= UInt32(value) << (18 - 6 * offset)
                    }
                    let unusedBits: UInt32 = padding == 1 ? 0xFF : 0xFFFF
                    guard group & unusedBits == 0 else {
                        throw Base64Error(
                            offset: dataEnd - 1, reason: "the unused bits of the last group are not zero")
                    }
                    output[write] = UInt8(truncatingIfNeeded: group >> 16)
                    if padding == 1 { output[write + 1] = UInt8(truncatingIfNeeded: group >> 8) }
                }
            }
            initialized = byteCount
        }
    }

    private static func badCharacter(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> Base64Error {
        var offset = start
        while offset < text.count && decodeTable[Int(text[offset])] & 0x80 == 0 { offset += 1 }
        let byte = offset < text.count ? text[offset] : 0
        let shown =
            byte == UInt8(ascii: "=")
            ? "padding '='"
            : byte >= 0x21 && byte < 0x7F
                ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return Base64Error(offset: offset, reason: "\(shown) is not allowed here")
    }

    /// Maps a byte to its 6-bit value, or 0xFF when it is not in the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()
}

/// Text that is not canonical standard base64.
public struct Base64Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offset of the offending character, or of the end for a bad length.
    public var offset: Int
    /// What is wrong.
    public var reason: String

    /// Makes an error at an offset.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// `invalid base64 at offset N: reason`.
    public var description: String { "invalid base64 at offset \(offset): \(reason)" }
}
