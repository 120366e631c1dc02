// ExtendedReal's arithmetic, order and logarithm: the significands meet as double-doubles near 1, the exponents
// as integers, and zero, the infinities and NaN follow IEEE 754 through the doubles that stand for them.

extension ExtendedReal: Equatable {
    /// Exact equality: NaN equals nothing, +0 equals −0.
    public static func == (x: ExtendedReal, y: ExtendedReal) -> Bool {
        if x.isNaN || y.isNaN { return false }
        if x.isZero && y.isZero { return true }
        return x.head == y.head && x.tail == y.tail && x.exponent == y.exponent
    }
}

extension ExtendedReal: Comparable {
    /// Exact order; NaN is unordered, as in IEEE 754.
    public static func < (x: ExtendedReal, y: ExtendedReal) -> Bool {
        if x.isNaN || y.isNaN { return false }
        if !x.isFinite || !y.isFinite || x.isZero || y.isZero { return x.head < y.head }
        if x.isNegative != y.isNegative { return x.isNegative }
        // Same sign, both normalized: the exponent orders magnitudes, then head, then tail.
        let magnitudeLess =
            x.exponent != y.exponent
            ? x.exponent < y.exponent
            : (Swift.abs(x.head), x.isNegative ? -x.tail : x.tail) < (
                Swift.abs(y.head), y.isNegative ? -y.tail : y.tail
            )
        let magnitudeEqual = x.exponent == y.exponent && x.head == y.head && x.tail == y.tail
        return x.isNegative ? !magnitudeLess && !magnitudeEqual : magnitudeLess
    }
}

extension ExtendedReal: ExpressibleByIntegerLiteral {
    /// The integer, exactly.
    public init(integerLiteral value: Int) {
        self.init(value)
    }
}

extension ExtendedReal: ExpressibleByFloatLiteral {
    /// The literal's double value: a decimal literal is rounded to 53 bits first (write a longer constant as head
    /// and tail).
    public init(floatLiteral value: Double) {
        self.init(value)
    }
}

extension ExtendedReal: SignedNumeric {
    /// The integer when its value fits the significand exactly (106 bits); always, for `Int` and narrower.
    public init?<T: BinaryInteger>(exactly source: T) {
        guard let value = Int(exactly: source) else { return nil }
        self.init(value)
    }

    /// |x|.
    public var magnitude: ExtendedReal { isNegative ? -self : self }

    /// −x, exactly.
    public static prefix func - (x: ExtendedReal) -> ExtendedReal {
        ExtendedReal(head: -x.head, tail: -x.tail, exponent: x.exponent)
    }

    /// x + y, to a relative error below 2^-104 (3u²/(1 − 4u), u = 2^-53).
    public static func + (x: ExtendedReal, y: ExtendedReal) -> ExtendedReal {
        if !x.isFinite || !y.isFinite || x.isZero || y.isZero {
            if x.isZero && y.isFinite && !y.isZero { return y }
            if y.isZero && x.isFinite && !x.isZero { return x }
            return ExtendedReal(head: x.head + y.head, exponent: 0)
        }
        let (large, small) = x.exponent >= y.exponent ? (x, y) : (y, x)
        let shift = small.exponent - large.exponent
        // Beyond 2^-120 of the larger operand, the smaller one is below the significand's last bit.
        guard shift >= -120 else { return large }
        let aligned = DoubleDouble(
            high: Double(sign: .plus, exponent: shift, significand: small.head),
            low: Double(sign: .plus, exponent: shift, significand: small.tail))
        return ExtendedReal(large.significand + aligned, exponent: large.exponent)
    }

    /// x − y, to a relative error below 2^-104.
    public static func - (x: ExtendedReal, y: ExtendedReal) -> ExtendedReal { x + -y }

    /// x·y, to a relative error below 2^-103 (4u², u = 2^-53).
    public static func * (x: ExtendedReal, y: ExtendedReal) -> ExtendedReal {
        if !x.isFinite || !y.isFinite || x.isZero || y.isZero {
            return ExtendedReal(head: x.head * y.head, exponent: 0)
        }
        return ExtendedReal(x.significand * y.significand, exponent: x.exponent + y.exponent)
    }

    /// x = x + y.
    public static func += (x: inout ExtendedReal, y: ExtendedReal) { x = x + y }
    /// x = x − y.
    public static func -= (x: inout ExtendedReal, y: ExtendedReal) { x = x - y }
    /// x = x·y.
    public static func *= (x: inout ExtendedReal, y: ExtendedReal) { x = x * y }
}

extension ExtendedReal {
    /// x / y, to a relative error below 2^-100 (``ulpOfOne``).
    public static func / (x: ExtendedReal, y: ExtendedReal) -> ExtendedReal {
        if !x.isFinite || !y.isFinite || x.isZero || y.isZero {
            return ExtendedReal(head: x.head / y.head, exponent: 0)
        }
        return ExtendedReal(x.significand / y.significand, exponent: x.exponent - y.exponent)
    }

    /// x = x / y.
    public static func /= (x: inout ExtendedReal, y: ExtendedReal) { x = x / y }

    /// The natural logarithm, to a relative error below 2^-100; −inf at ±0, NaN below 0, +inf at +inf.
    ///
    /// With x = m·2^e and m in [√½, √2): log x = e·log 2 + 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172, whose
    /// odd series 2s·Σ s^(2k)/(2k + 1) reaches 2^-110 of its sum within 23 terms.
    public static func logarithm(_ x: ExtendedReal) -> ExtendedReal {
        if x.isNaN || x.isNegative && !x.isZero { return x.isNaN ? x : .nan }
        if x.isZero { return -.infinity }
        if x.isInfinite { return x }
        var m = x.significand
        var e = x.exponent
        if m.high > 0x1.6a09e667f3bcdp0 {
            m = DoubleDouble(high: m.high / 2, low: m.low / 2)
            e += 1
        }
        let s = (m - DoubleDouble(1)) / (m + DoubleDouble(1))
        let s2 = s * s
        var series = reciprocalOdds[reciprocalOdds.count - 1]
        for reciprocal in reciprocalOdds.dropLast().reversed() {
            series = series * s2 + reciprocal
        }
        let logM = s * series * 2
        let total = ExtendedReal(logM, exponent: 0) + ExtendedReal(ln2 * Double(e), exponent: 0)
        return total
    }

    /// 1/(2k + 1) for k = 0…22, the coefficients of atanh's series.
    private static let reciprocalOdds: [DoubleDouble] = (0...22).map {
        DoubleDouble(1) / DoubleDouble(Double(2 * $0 + 1))
    }
}
