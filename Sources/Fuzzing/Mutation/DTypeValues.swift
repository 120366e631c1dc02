public import GaussianNLL

/// Values of a dtype that find bugs: neighbours in the dtype, extreme exponents, subnormals, NaN payloads.
///
/// Every function returns a value of the dtype (as a `Double`, which holds each exactly).
extension DType {
    /// The next value of the dtype above `x` (`nextUp` in the dtype): +inf stays, NaN stays.
    public func nextUp(_ x: Double) -> Double {
        let value = round(x)
        switch self {
        case .float64: return value.nextUp
        case .float32: return Double(Float(value).nextUp)
        case .float16: return Double(Float16(value).nextUp)
        case .bfloat16:
            if value.isNaN || value == .infinity { return value }
            if value == 0 { return BFloat16Bits.value(0x0001) }
            let bits = BFloat16Bits.make(Float(value))
            return BFloat16Bits.value(value > 0 ? bits + 1 : bits - 1)
        case .int32, .int64, .bool:
            return value >= greatestFiniteMagnitude ? value : value + 1
        }
    }

    /// The next value of the dtype below `x`.
    public func nextDown(_ x: Double) -> Double {
        -nextUp(-x)
    }

    /// The largest finite exponent of a normal value (of the largest value, for the integer types and bool).
    public var maximumExponent: Int {
        switch self {
        case .float16: 15
        case .bfloat16, .float32: 127
        case .float64: 1023
        case .int32: 30
        case .int64: 53
        case .bool: 0
        }
    }

    /// The exponent of the smallest normal value.
    public var minimumExponent: Int { 1 - maximumExponent }

    /// A NaN of the dtype with the given payload bits and sign (the payload is reduced to the dtype's
    /// significand; a zero payload becomes the quiet bit). Elements are stored as `Double`s: the payload
    /// sits in the upper significand bits, where a conversion to the dtype keeps it.
    public func nan(payload: UInt64, negative: Bool) -> Double {
        let significandBits = precision - 1
        var fraction = payload & ((1 << UInt64(significandBits)) - 1)
        if fraction == 0 { fraction = 1 << UInt64(significandBits - 1) }
        let shifted = fraction << UInt64(52 - significandBits)
        let bits = (negative ? 1 << 63 : 0) | (0x7FF << 52) | shifted
        return Double(bitPattern: bits)
    }

    /// The value whose bit pattern in the dtype is `bits` (the low `byteWidth * 8` bits).
    public func value(bitPattern bits: UInt64) -> Double {
        switch self {
        case .float16: Double(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case .bfloat16: BFloat16Bits.value(UInt16(truncatingIfNeeded: bits))
        case .float32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: Double(bitPattern: bits)
        case .int32: Double(Int32(truncatingIfNeeded: bits))
        case .int64: convert(integer: Int64(truncatingIfNeeded: bits))
        case .bool: Double(bits & 1)
        }
    }

    /// The bit pattern of a value of the dtype.
    public func bitPattern(of value: Double) -> UInt64 {
        switch self {
        case .float16: UInt64(Float16(value).bitPattern)
        case .bfloat16: UInt64(BFloat16Bits.make(Float(value)))
        case .float32: UInt64(Float(value).bitPattern)
        case .float64: value.bitPattern
        case .int32: UInt64(UInt32(bitPattern: Int32(value)))
        case .int64: UInt64(bitPattern: Int64(value))
        case .bool: value == 0 ? 0 : 1
        }
    }
}
