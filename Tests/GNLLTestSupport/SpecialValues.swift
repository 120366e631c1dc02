public import Conformance
public import Foundation
public import GaussianNLL

/// The special values of every dtype, as little-endian bit patterns, for round-trip tests of the file formats.
public enum SpecialValues {
    /// Per dtype: -0.0, +0.0, +inf, -inf, a quiet NaN with a payload, a negative signalling NaN with a payload, the
    /// smallest subnormal and the largest finite value.
    public static let bitPatterns: [(DType, [UInt64])] = [
        (.float16, [0x8000, 0x0000, 0x7C00, 0xFC00, 0x7E01, 0xFD55, 0x0001, 0x7BFF]),
        (.bfloat16, [0x8000, 0x0000, 0x7F80, 0xFF80, 0x7FC1, 0xFF81, 0x0001, 0x7F7F]),
        (.float32, [0x8000_0000, 0, 0x7F80_0000, 0xFF80_0000, 0x7FC1_2345, 0xFF81_2345, 0x0000_0001, 0x7F7F_FFFF]),
        (
            .float64,
            [
                0x8000_0000_0000_0000, 0, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0001_2345,
                0xFFF4_0000_0000_0001, 0x0000_0000_0000_0001, 0x7FEF_FFFF_FFFF_FFFF,
            ]
        ),
    ]

    /// The little-endian bytes of bit patterns of a dtype.
    public static func bytes(_ dtype: DType, _ patterns: [UInt64]) -> [UInt8] {
        patterns.flatMap { pattern in (0..<dtype.byteWidth).map { UInt8(truncatingIfNeeded: pattern >> (8 * $0)) } }
    }

    /// The tensor record of bit patterns, written byte by byte (not through `Tensor`, which keeps values as
    /// `Double`).
    public static func record(_ dtype: DType, _ patterns: [UInt64]) -> TensorRecord {
        var record = TensorRecord(try! Tensor(dtype: dtype, shape: [0], values: []))
        record.shape = [patterns.count]
        record.data = Data(bytes(dtype, patterns)).base64EncodedString()
        return record
    }
}
