/// A floating-point element type of a tensor, named as PyTorch names it.
///
/// Every value of every dtype is exactly representable as a `Double`, which is how ``Tensor``
/// stores elements. bfloat16 has no Swift type: its values are the upper 16 bits of a `Float`,
/// rounded to nearest even.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case float16
    case bfloat16
    case float32
    case float64

    public var description: String { rawValue }

    /// The size of one element in bytes.
    public var byteWidth: Int {
        switch self {
        case .float16, .bfloat16: 2
        case .float32: 4
        case .float64: 8
        }
    }

    /// The number of significand bits, including the implicit one.
    public var precision: Int {
        switch self {
        case .float16: 11
        case .bfloat16: 8
        case .float32: 24
        case .float64: 53
        }
    }

    /// The unit roundoff u = 2^-precision: the largest relative error of one correctly rounded operation.
    public var unitRoundoff: Double { Double(sign: .plus, exponent: -precision, significand: 1) }

    /// The largest finite value.
    ///
    /// The 16-bit types' limits are written out: converting a `Float16` is a library call on baseline x86-64,
    /// and the oracle asks for these for every intermediate.
    public var greatestFiniteMagnitude: Double {
        switch self {
        case .float16: 65504  // (2 − 2^−10)·2^15
        case .bfloat16: 0x1.FEp127  // Float(bitPattern: 0x7F7F_0000)
        case .float32: Double(Float.greatestFiniteMagnitude)
        case .float64: Double.greatestFiniteMagnitude
        }
    }

    /// The smallest positive normal value.
    public var leastNormalMagnitude: Double {
        switch self {
        case .float16: 0x1p-14
        case .bfloat16, .float32: Double(Float.leastNormalMagnitude)
        case .float64: Double.leastNormalMagnitude
        }
    }

    /// The smallest positive subnormal value: the spacing of the subnormal range.
    public var leastNonzeroMagnitude: Double {
        switch self {
        case .float16: 0x1p-24
        case .bfloat16: 0x1p-133  // Float(bitPattern: 0x0001_0000)
        case .float32: Double(Float.leastNonzeroMagnitude)
        case .float64: Double.leastNonzeroMagnitude
        }
    }

    /// The type in which PyTorch's CPU kernels compute element-wise operations on this dtype
    /// ("opmath"): float32 for the 16-bit types, the dtype itself otherwise.
    public var computeType: DType {
        switch self {
        case .float16, .bfloat16, .float32: .float32
        case .float64: .float64
        }
    }

    /// The type in which PyTorch's CPU reductions accumulate: float32 for the 16-bit types and float32,
    /// float64 for float64.
    public var accumulationType: DType { computeType }

    /// PyTorch's type promotion between two floating dtypes.
    ///
    /// float16 with bfloat16 gives float32; otherwise the wider type wins.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if Set([a, b]) == [.float16, .bfloat16] { return .float32 }
        return a.rank > b.rank ? a : b
    }

    /// PyTorch's type promotion between two tensor operands, where 0-d tensors count less: when one
    /// operand is 0-d and the other is not, the dimensioned operand's dtype wins (all four dtypes are of
    /// one category, floating point). The result is 0-d only when both operands are.
    public static func promote(
        _ a: DType, zeroDimensional aIsZeroDim: Bool, _ b: DType, zeroDimensional bIsZeroDim: Bool
    )
        -> DType
    {
        if aIsZeroDim == bIsZeroDim { return promote(a, b) }
        return aIsZeroDim ? b : a
    }

    private var rank: Int {
        switch self {
        case .float16, .bfloat16: 0
        case .float32: 1
        case .float64: 2
        }
    }

    /// Rounds a value to the nearest value of this dtype, ties to even.
    ///
    /// The 16-bit types round through float32 first, as PyTorch's conversions from double do.
    @inlinable
    public func round(_ x: Double) -> Double {
        switch self {
        case .float64: x
        case .float32: Double(Float(x))
        case .float16: Double(Float16(Float(x)))
        case .bfloat16: BFloat16Bits.value(BFloat16Bits.make(Float(x)))
        }
    }
}

/// The bit pattern of a bfloat16 value: the upper 16 bits of a float32.
public enum BFloat16Bits {
    /// Rounds a float32 to bfloat16 bits, to nearest even; NaN stays a quiet NaN.
    @inlinable
    public static func make(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The value of bfloat16 bits.
    @inlinable
    public static func value(_ bits: UInt16) -> Double {
        Double(Float(bitPattern: UInt32(bits) << 16))
    }
}
