/// FNV-1a, 64 bits: a portable hash that turns a name (a check id, a failure signature) into a seed or a
/// file-name digest, the same in every process and on every machine (unlike `Hasher`, which is seeded per
/// process).
///
/// ```swift
/// FNV1a.hash("")   // 0xCBF2_9CE4_8422_2325, the offset basis
/// FNV1a.hash("a")  // 0xAF63_DC4C_8601_EC8C
/// ```
public enum FNV1a {
    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        hash(bytes: text.utf8)
    }

    /// The hash of a sequence of bytes.
    public static func hash(bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
