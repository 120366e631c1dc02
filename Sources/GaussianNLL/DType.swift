/// The element type of a tensor, named as PyTorch names it: four floating-point types, and (protocol 2) two
/// integer types and bool, which the loss accepts as operands but never computes in.
///
/// Every value of every floating dtype is exactly representable as a `Double`, which is how ``Tensor``
/// stores elements. bfloat16 has no Swift type: its values are the upper 16 bits of a `Float`,
/// rounded to nearest even. An integer tensor holds integers of at most 2^53 in magnitude (``Tensor``
/// refuses others), a bool tensor 0 and 1.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case float16
    case bfloat16
    case float32
    case float64
    case int32
    case int64
    case bool

    /// The four floating-point dtypes: the ones a loss and its gradients can have.
    public static let floatingCases: [DType] = [.float16, .bfloat16, .float32, .float64]

    public var description: String { rawValue }

    /// Whether this is a floating-point dtype (and so can require grad and hold a loss).
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: true
        case .int32, .int64, .bool: false
        }
    }

    /// What an element of an integer dtype or bool is, for error messages.
    var elementDescription: String {
        switch self {
        case .bool: "a bool (0 or 1)"
        case .int32: "an int32 (an integer from -2^31 to 2^31 - 1)"
        case .int64: "an int64 the suite can hold (an integer of magnitude at most 2^53)"
        case .float16, .bfloat16, .float32, .float64: "a \(rawValue)"
        }
    }

    /// The size of one element in bytes.
    public var byteWidth: Int {
        switch self {
        case .bool: 1
        case .float16, .bfloat16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// The number of significand bits, including the implicit one (the value bits of an integer type).
    public var precision: Int {
        switch self {
        case .float16: 11
        case .bfloat16: 8
        case .float32: 24
        case .float64: 53
        case .int32: 31
        case .int64: 63
        case .bool: 1
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
        case .int32: Double(Int32.max)
        case .int64: Tensor.integerLimit
        case .bool: 1
        }
    }

    /// The smallest positive normal value (1 for the integer types and bool).
    public var leastNormalMagnitude: Double {
        switch self {
        case .float16: 0x1p-14
        case .bfloat16, .float32: Double(Float.leastNormalMagnitude)
        case .float64: Double.leastNormalMagnitude
        case .int32, .int64, .bool: 1
        }
    }

    /// The smallest positive subnormal value: the spacing of the subnormal range (1 for the integer types and bool).
    public var leastNonzeroMagnitude: Double {
        switch self {
        case .float16: 0x1p-24
        case .bfloat16: 0x1p-133  // Float(bitPattern: 0x0001_0000)
        case .float32: Double(Float.leastNonzeroMagnitude)
        case .float64: Double.leastNonzeroMagnitude
        case .int32, .int64, .bool: 1
        }
    }

    /// The type in which PyTorch's CPU kernels compute element-wise operations on this dtype
    /// ("opmath"): float32 for the 16-bit types, the dtype itself otherwise.
    public var computeType: DType {
        switch self {
        case .float16, .bfloat16, .float32: .float32
        case .float64, .int32, .int64, .bool: self
        }
    }

    /// The type in which PyTorch's CPU reductions accumulate: float32 for the 16-bit types and float32,
    /// float64 for float64.
    public var accumulationType: DType { computeType }

    /// PyTorch's `promote_types` of two dtypes.
    ///
    /// A floating type wins over an integer type and bool, an integer type over bool; float16 with bfloat16
    /// gives float32; otherwise the wider type wins.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if Set([a, b]) == [.float16, .bfloat16] { return .float32 }
        return a.rank > b.rank ? a : b
    }

    /// PyTorch's type promotion between two tensor operands, where 0-d tensors count less: when one operand is
    /// 0-d and the other is not, the dimensioned operand's dtype wins, unless the 0-d one is of a higher category
    /// (floating over integral, integral over bool), when `promote_types` decides. The result is 0-d only when
    /// both operands are.
    public static func promote(
        _ a: DType, zeroDimensional aIsZeroDim: Bool, _ b: DType, zeroDimensional bIsZeroDim: Bool
    )
        -> DType
    {
        if aIsZeroDim == bIsZeroDim { return promote(a, b) }
        let (dimensioned, zeroDimensional) = aIsZeroDim ? (b, a) : (a, b)
        return zeroDimensional.category > dimensioned.category ? promote(a, b) : dimensioned
    }

    /// bool 0, integral 1, floating 2: c10's `combine_categories` lets a 0-d operand of a higher category take
    /// part in the promotion.
    private var category: Int {
        switch self {
        case .bool: 0
        case .int32, .int64: 1
        case .float16, .bfloat16, .float32, .float64: 2
        }
    }

    private var rank: Int {
        switch self {
        case .bool: -3
        case .int32: -2
        case .int64: -1
        case .float16, .bfloat16: 0
        case .float32: 1
        case .float64: 2
        }
    }

    /// Rounds a value to the nearest value of this dtype, ties to even.
    ///
    /// The 16-bit types round through float32 first, as PyTorch's conversions from double do. For the integer
    /// types and bool this is a conversion as a cast does it: toward zero and wrapped to the type's width (int64
    /// then limited to ±2^53, what a ``Tensor`` holds), bool 1 for any nonzero value; NaN gives 0.
    @inlinable
    public func round(_ x: Double) -> Double {
        switch self {
        case .float64: x
        case .float32: Double(Float(x))
        case .float16: Double(Float16(Float(x)))
        case .bfloat16: BFloat16Bits.value(BFloat16Bits.make(Float(x)))
        case .int32, .int64, .bool: convert(integer: Self.truncatedInteger(x))
        }
    }

    /// An integer converted to this dtype as PyTorch's casts do: to the nearest value of a floating type (through
    /// float32 for the 16-bit types, as c10 converts integers), wrapped for int32, limited to ±2^53 for int64,
    /// and 1 for any nonzero value for bool.
    @inlinable
    public func convert(integer x: Int64) -> Double {
        switch self {
        case .float64: Double(x)
        case .float32: Double(Float(x))
        case .float16: Double(Float16(Float(x)))
        case .bfloat16: BFloat16Bits.value(BFloat16Bits.make(Float(x)))
        case .int32: Double(Int32(truncatingIfNeeded: x))
        case .int64: Double(Swift.max(-Int64(Tensor.integerLimit), Swift.min(Int64(Tensor.integerLimit), x)))
        case .bool: x == 0 ? 0 : 1
        }
    }

    /// A double truncated toward zero to an Int64 (saturating; NaN gives 0).
    @usableFromInline
    static func truncatedInteger(_ x: Double) -> Int64 {
        if x.isNaN { return 0 }
        if x >= 0x1p63 { return .max }
        if x < -0x1p63 { return .min }
        return Int64(x.rounded(.towardZero))
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
