/// A portable extended-precision real: a double-double significand with an integer exponent.
///
/// A finite nonzero value is (head + tail)·2^exponent with head in ±[1, 2) and head the double nearest to
/// head + tail, so the significand carries about 106 bits and the exponent never overflows or underflows in
/// practice (it is an `Int`, clamped at ±2^40). Zero, the infinities and NaN keep their IEEE behaviour in
/// `head` (tail 0, exponent 0).
///
/// It is the oracle's float64 working type where `Float80` does not exist (``ExactReal``). Each of `+`, `-`,
/// `*`, `/` and ``logarithm(_:)`` has a relative error below ``ulpOfOne`` = 2^-100; `Float80`'s is 2^-64, and
/// its exponent stops at ±16383. Comparisons are exact, and `Double(_:)` rounds to nearest, ties to even,
/// subnormals included.
///
/// ```swift
/// let third = ExtendedReal(1) / ExtendedReal(3)
/// let huge = ExtendedReal(Double.greatestFiniteMagnitude) * ExtendedReal(Double.greatestFiniteMagnitude)
/// Double(huge / ExtendedReal(Double.greatestFiniteMagnitude))  // 1.7976931348623157e308, no overflow
/// ```
public struct ExtendedReal: Sendable {
    /// The leading part of the significand, in ±[1, 2) for a finite nonzero value; ±0, ±inf or NaN otherwise.
    public let head: Double
    /// The trailing part of the significand: head + tail rounds to head.
    public let tail: Double
    /// The power of two that scales head + tail.
    public let exponent: Int

    /// The exponent beyond which a value is infinite, and below whose negation it is zero.
    static let exponentLimit = 1 << 40

    /// The parts, already normalized.
    private init(normalizedHead head: Double, tail: Double, exponent: Int) {
        self.head = head
        self.tail = tail
        self.exponent = exponent
    }

    /// A special value or zero: `value` with tail 0 and exponent 0.
    private init(special value: Double) {
        self.init(normalizedHead: value, tail: 0, exponent: 0)
    }

    /// The value (head + tail)·2^exponent, normalized; head and tail are any finite doubles or one special value.
    public init(head: Double, tail: Double = 0, exponent: Int) {
        guard head.isFinite && tail.isFinite else {
            self.init(special: head + tail)
            return
        }
        // A zero tail keeps head as it is, −0 included.
        let (sum, error) = tail == 0 ? (head, 0) : twoSum(head, tail)
        guard sum != 0 else {
            self.init(special: sum)
            return
        }
        let shift = sum.exponent
        let scaled = exponent.clampedAdding(Int(shift))
        if scaled > Self.exponentLimit {
            self.init(special: sum > 0 ? .infinity : -.infinity)
        } else if scaled < -Self.exponentLimit {
            self.init(special: sum > 0 ? 0 : -0.0)
        } else {
            self.init(
                normalizedHead: Double(sign: .plus, exponent: -shift, significand: sum),
                tail: Double(sign: .plus, exponent: -shift, significand: error), exponent: scaled)
        }
    }

    /// The double `value`, exactly.
    public init(_ value: Double) {
        self.init(head: value, exponent: 0)
    }

    /// The integer `value`, exactly.
    public init(_ value: Int) {
        let magnitude = value.magnitude
        let high = Double(magnitude >> 32) * 0x1p32
        let low = Double(magnitude & 0xFFFF_FFFF)
        let sum = ExtendedReal(head: high, tail: low, exponent: 0)
        self = value < 0 ? -sum : sum
    }

    /// A copy of `value` (the oracle converts between its working types this way).
    public init(_ value: ExtendedReal) {
        self = value
    }

    /// A double-double with the value head + tail, for arithmetic on significands.
    var significand: DoubleDouble { DoubleDouble(high: head, low: tail) }

    /// The significand `pair`·2^exponent, normalized.
    init(_ pair: DoubleDouble, exponent: Int) {
        self.init(head: pair.high, tail: pair.low, exponent: exponent)
    }

    /// The relative error bound of every operation: 2^-100.
    public static let ulpOfOne = ExtendedReal(head: 1, exponent: -100)
    /// Positive infinity.
    public static let infinity = ExtendedReal(special: .infinity)
    /// A quiet NaN.
    public static let nan = ExtendedReal(special: .nan)
    /// π, to 106 bits.
    public static let pi = ExtendedReal(head: 0x1.921fb54442d18p+1, tail: 0x1.1a62633145c07p-53, exponent: 0)
    /// log 2, to 106 bits.
    static let ln2 = DoubleDouble(high: 0x1.62e42fefa39efp-1, low: 0x1.abc9e3b39803fp-56)

    /// Whether the value is NaN.
    public var isNaN: Bool { head.isNaN }
    /// Whether the value is ±inf.
    public var isInfinite: Bool { head.isInfinite }
    /// Whether the value is neither infinite nor NaN.
    public var isFinite: Bool { head.isFinite }
    /// Whether the value is ±0.
    public var isZero: Bool { head == 0 }
    /// Whether the sign bit is set (−0 included).
    var isNegative: Bool { head.sign == .minus }
}

extension Int {
    /// `self + other`, saturating instead of trapping.
    fileprivate func clampedAdding(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

extension Double {
    /// The double nearest to `value` (ties to even), ±inf beyond the double range, subnormals rounded once.
    public init(_ value: ExtendedReal) {
        guard value.isFinite && !value.isZero else {
            self = value.head
            return
        }
        let negative = value.isNegative
        let head = Swift.abs(value.head)
        let tail = negative ? -value.tail : value.tail
        let exponent = value.exponent
        var magnitude: Double
        if exponent > Double.greatestFiniteMagnitude.exponent {
            magnitude = .infinity
        } else if exponent >= Double.leastNormalMagnitude.exponent {
            // head already is head + tail rounded to 53 bits.
            magnitude = Double(sign: .plus, exponent: Int(exponent), significand: head)
        } else if exponent < Double.leastNonzeroMagnitude.exponent - 2 {
            magnitude = 0
        } else {
            // Subnormal: head rounds once at a coarser position; when head alone lies halfway, tail breaks the tie.
            magnitude = Double(sign: .plus, exponent: exponent, significand: head)
            let rounded = Double(sign: .plus, exponent: -exponent, significand: magnitude)
            let away = head - rounded
            let half = Double(
                sign: .plus, exponent: Double.leastNonzeroMagnitude.exponent - 1 - exponent, significand: 1)
            if Swift.abs(away) == half && tail != 0 && (away > 0) == (tail > 0) {
                magnitude = away > 0 ? magnitude.nextUp : magnitude.nextDown
            }
        }
        self = negative ? -magnitude : magnitude
    }
}

extension ExtendedReal: CustomStringConvertible {
    /// The nearest double's description, which is what diagnostics print.
    public var description: String { Double(self).description }
}
