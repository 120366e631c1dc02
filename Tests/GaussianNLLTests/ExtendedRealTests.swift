import GaussianNLL
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ExtendedReal against exact hand values and against references computed with Python's `decimal` module at 80
/// digits (each reference split into the nearest double and the double nearest the remainder).
@Suite("ExtendedReal")
struct ExtendedRealTests {
    /// The reference value head + tail·2^exponent's scale: head and tail exactly as written.
    func reference(_ head: Double, _ tail: Double, exponent: Int = 0) -> ExtendedReal {
        ExtendedReal(head: head, tail: tail, exponent: exponent)
    }

    /// |x − reference| ≤ 2^-100·|reference|.
    func expectClose(_ x: ExtendedReal, _ reference: ExtendedReal, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = (x - reference).magnitude
        #expect(
            error <= ExtendedReal(head: 1, exponent: -100) * reference.magnitude,
            "\(x.head) + \(x.tail) · 2^\(x.exponent) vs \(reference.head) + \(reference.tail) · 2^\(reference.exponent)",
            sourceLocation: sourceLocation)
    }

    @Test("The oracle's float64 type is ExtendedReal in a GNLL_PORTABLE_ORACLE build and without Float80")
    func exactRealChoice() {
        #if GNLL_PORTABLE_ORACLE || !(arch(i386) || arch(x86_64)) || os(Windows) || os(Android)
        #expect(ExactReal.self == ExtendedReal.self)
        #else
        #expect(ExactReal.self == Float80.self)
        #endif
    }

    @Test("Doubles and integers are held exactly, normalized to a head in [1, 2)")
    func representation() {
        let six = ExtendedReal(6.0)
        #expect(six.head == 1.5 && six.tail == 0 && six.exponent == 2)
        let tiny = ExtendedReal(-Double.leastNonzeroMagnitude)
        #expect(tiny.head == -1 && tiny.tail == 0 && tiny.exponent == -1074)
        // Int.max = 2^63 − 1 needs 63 bits: one more is exactly 2^63.
        let largest = ExtendedReal(Int.max)
        #expect(largest + 1 == ExtendedReal(head: 1, exponent: 63))
        #expect(largest.head == 1 && largest.tail == -0x1p-63 && largest.exponent == 63)
        #expect(ExtendedReal(Int.min) == -ExtendedReal(head: 1, exponent: 63))
        #expect(Double(ExtendedReal(-0.0)).sign == .minus)
        // A head that rounds: 1 + 2^-53 + 2^-80 is held as (1 + 2^-52) − (2^-53 − 2^-80).
        let above = ExtendedReal(head: 1, tail: 0x1p-53 + 0x1p-80, exponent: 0)
        #expect(above.head == 1 + 0x1p-52 && above.tail == -0x1p-53 + 0x1p-80)
    }

    @Test("Arithmetic beyond the double's precision and range, exactly")
    func exactArithmetic() {
        // 2^-80 survives next to 1.
        let one = ExtendedReal(1)
        let small = ExtendedReal(0x1p-80)
        #expect((one + small) - one == small)
        #expect(((one + small) - one).exponent == -80)
        // The largest double squared: (2 − 2^-52)²·2^2046 = (2 − 2^-51 + 2^-105)·2^2047, past the double range.
        let largest = ExtendedReal(Double.greatestFiniteMagnitude)
        let square = largest * largest
        #expect(square.head == 0x1.ffffffffffffep0 && square.tail == 0x1p-105 && square.exponent == 2047)
        #expect(square.isFinite)
        #expect(Double(square) == .infinity)
        #expect(square / largest == largest)
        // A float64 difference near 1e308 squared, divided back: no overflow on the way.
        let difference = ExtendedReal(1e308) - ExtendedReal(-1e308)
        #expect(Double(difference * difference / difference) == 2e308)
        // Below the double's subnormals, precision stays.
        let least = ExtendedReal(Double.leastNonzeroMagnitude)
        let product = least * least
        #expect(product.head == 1 && product.tail == 0 && product.exponent == -2148)
        #expect(Double(product) == 0)
        #expect(product / least == least)
        expectClose(least / 3 * 3, least)
        expectClose(one / 3, reference(0x1.5555555555555p-2, 0x1.5555555555555p-56))
    }

    @Test("Conversion to Double rounds to nearest, ties to even, subnormals included")
    func doubleRounding() {
        // 1 + 2^-53 is a tie: even is 1. Above the tie, 1 + 2^-52.
        #expect(Double(ExtendedReal(head: 1, tail: 0x1p-53, exponent: 0)) == 1)
        #expect(Double(ExtendedReal(head: 1, tail: 0x1p-53 + 0x1p-90, exponent: 0)) == 1 + 0x1p-52)
        // 1.5·2^-1074 is a tie between 2^-1074 and 2^-1073: even is 2^-1073.
        #expect(Double(ExtendedReal(head: 1.5, exponent: -1074)) == 0x1p-1073)
        #expect(Double(ExtendedReal(head: 1.5, tail: -0x1p-60, exponent: -1074)) == 0x1p-1074)
        #expect(Double(ExtendedReal(head: 1.5, tail: 0x1p-60, exponent: -1074)) == 0x1p-1073)
        // 2^-1075 is a tie between 0 and 2^-1074: even is 0; the tail breaks the tie either way.
        #expect(Double(ExtendedReal(head: 1, exponent: -1075)) == 0)
        #expect(Double(ExtendedReal(head: 1, tail: 0x1p-55, exponent: -1075)) == 0x1p-1074)
        #expect(Double(ExtendedReal(head: -1, tail: -0x1p-55, exponent: -1075)) == -0x1p-1074)
        #expect(Double(ExtendedReal(head: 1.25, tail: 0x1p-55, exponent: -1049)) == 1.25 * 0x1p-1049)
        #expect(Double(ExtendedReal(head: 1.9, exponent: -1076)) == 0)
        // The largest double plus half its spacing rounds to infinity; a hair less does not.
        let limit = ExtendedReal(Double.greatestFiniteMagnitude) + ExtendedReal(0x1p970)
        #expect(Double(limit) == .infinity)
        #expect(Double(limit - ExtendedReal(0x1p960)) == .greatestFiniteMagnitude)
    }

    @Test("Order and equality are exact; NaN is unordered and ±0 are equal")
    func order() {
        let belowOne = ExtendedReal(head: 1, tail: -0x1p-60, exponent: 0)
        #expect(belowOne < 1 && !(1 < belowOne) && belowOne != 1)
        #expect(ExtendedReal(1 - 0x1p-53) < belowOne)
        #expect(-belowOne > -1 && -belowOne < ExtendedReal(-(1 - 0x1p-53)))
        #expect(ExtendedReal(head: 1, exponent: 5000) < .infinity)
        #expect(-ExtendedReal.infinity < ExtendedReal(head: -1, exponent: 5000))
        #expect(ExtendedReal(head: 1, exponent: -5000) > 0 && ExtendedReal(head: -1, exponent: -5000) < 0)
        #expect(ExtendedReal(-0.0) == 0)
        #expect(!(ExtendedReal.nan < 1) && !(ExtendedReal.nan > 1) && ExtendedReal.nan != .nan)
        #expect(Swift.min(ExtendedReal(2), ExtendedReal(-3)) == -3)
    }

    @Test("Zero, the infinities and NaN behave as in IEEE 754")
    func specialValues() {
        #expect((ExtendedReal(0) * .infinity).isNaN)
        #expect(ExtendedReal(1) / 0 == .infinity && ExtendedReal(-1) / 0 == -.infinity)
        #expect(ExtendedReal(1) / ExtendedReal(-0.0) == -.infinity && (ExtendedReal(-0.0) * 3).head.sign == .minus)
        #expect((ExtendedReal(0) / 0).isNaN)
        #expect((ExtendedReal.infinity - .infinity).isNaN)
        #expect(ExtendedReal.infinity + ExtendedReal(head: -1, exponent: 9000) == .infinity)
        #expect(ExtendedReal(5) - 5 == 0)
        #expect(ExtendedReal(3) / .infinity == 0)
        #expect(ExtendedReal.logarithm(0) == -.infinity && ExtendedReal.logarithm(-0.0) == -.infinity)
        #expect(ExtendedReal.logarithm(-1).isNaN && ExtendedReal.logarithm(.nan).isNaN)
        #expect(ExtendedReal.logarithm(.infinity) == .infinity)
        #expect(ExtendedReal.logarithm(1) == 0)
        // The exponent saturates to infinity and zero far beyond Float80's range (2^±16384).
        let huge = ExtendedReal(head: 1, exponent: 1 << 39)
        #expect(huge.isFinite && (huge * huge * huge).isInfinite)
        #expect(1 / (huge * huge * huge) == 0)
    }

    @Test("Inverse operations undo each other to 2^-100 on 10,000 random 106-bit operands")
    func inverses() {
        var generator = SplitMix64(seed: 106)
        func random() -> ExtendedReal {
            let head = 1 + generator.unitInterval()
            let tail = (generator.unitInterval() - 0.5) * 0x1p-52
            let exponent = Int(generator.below(4001)) - 2000
            return ExtendedReal(head: generator.next() & 1 == 0 ? head : -head, tail: tail, exponent: exponent)
        }
        let u = ExtendedReal(head: 1, exponent: -100)
        let log = ExtendedReal.logarithm
        for _ in 0..<10_000 {
            let (x, y) = (random(), random())
            #expect(((x + y) - y - x).magnitude <= u * (x.magnitude + y.magnitude), "\(x), \(y)")
            #expect(((x * y) / y - x).magnitude <= u * x.magnitude, "\(x), \(y)")
            #expect(((x / y) * y - x).magnitude <= u * x.magnitude, "\(x), \(y)")
            let (a, b) = (x.magnitude, y.magnitude)
            #expect((log(a * b) - log(a) - log(b)).magnitude <= u * (log(a).magnitude + log(b).magnitude + 1))
        }
    }

    @Test("The logarithm agrees with 80-digit references to 2^-100")
    func logarithm() {
        let log = ExtendedReal.logarithm
        expectClose(log(2), reference(0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56))
        expectClose(log(3), reference(0x1.193ea7aad030bp+0, -0x1.a256f99caabebp-54))
        expectClose(log(10), reference(0x1.26bb1bbb55516p+1, -0x1.f48ad494ea3e9p-53))
        expectClose(log(0.75), reference(-0x1.269621134db92p-2, -0x1.e0efadd9db02bp-56))
        // Either side of √2, where the reduction switches.
        expectClose(log(181.0 / 128), reference(0x1.62c82f2b9c795p-2, 0x1.7b7af915300e5p-57))
        expectClose(log(1449.0 / 1024), reference(0x1.637d291329a82p-2, 0x1.42194597a8d14p-57))
        expectClose(log(2 - 0x1p-52), reference(0x1.62e42fefa39eep-1, 0x1.abc9e3b39803dp-56))
        // log(1 + 2^-60) = 2^-60 − 2^-121 + …: an argument a double cannot hold.
        expectClose(
            log(ExtendedReal(head: 1, tail: 0x1p-60, exponent: 0)),
            reference(0x1p-60, -0x1p-121))
        expectClose(
            log(ExtendedReal(Double.leastNonzeroMagnitude)), reference(-0x1.74385446d71c3p+9, -0x1.8e569fa8ee781p-45))
        expectClose(
            log(ExtendedReal(1e300) * ExtendedReal(1e300)), reference(0x1.5963447f87fb5p+10, 0x1.abccc0710fcd4p-45))
        expectClose(
            log(ExtendedReal(head: 1.5, exponent: 100_000)), reference(0x1.0ec31f9f14383p+16, 0x1.b4785cf60fd76p-39))
        // 0.5·log(2π), the constant of the full loss.
        expectClose(log(2 * .pi) / 2, reference(0x1.d67f1c864beb5p-1, -0x1.65b5a1b7ff5dfp-55))
    }
}

#if (arch(i386) || arch(x86_64)) && !(os(Windows) || os(Android))
/// ExtendedReal against Float80, where Float80 exists: on operands Float80 holds exactly, every operation
/// rounded to Float80 gives Float80's own correctly rounded result.
@Suite("ExtendedReal against Float80")
struct ExtendedRealFloat80Tests {
    /// `x` exactly: its 64-bit significand as a double and the remainder.
    func extended(_ x: Float80) -> ExtendedReal {
        guard x.isFinite && x != 0 else { return ExtendedReal(Double(x)) }
        let significand = Float80(sign: x.sign, exponent: 0, significand: x.significand)
        let head = Double(significand)
        return ExtendedReal(head: head, tail: Double(significand - Float80(head)), exponent: Int(x.exponent))
    }

    /// `x` rounded to Float80 (once: head + tail rounds, the scaling is exact in Float80's range).
    func float80(_ x: ExtendedReal) -> Float80 {
        guard x.isFinite && !x.isZero else { return Float80(x.head) }
        return Float80(sign: .plus, exponent: x.exponent, significand: Float80(x.head) + Float80(x.tail))
    }

    /// A random Float80 with a full 64-bit significand and an exponent in ±`range`.
    func random(_ generator: inout SplitMix64, range: Int) -> Float80 {
        let significand = Float80(sign: .plus, exponent: -63, significand: Float80(generator.next() | 1 << 63))
        let exponent = Int(generator.below(UInt64(2 * range + 1))) - range
        let sign: FloatingPointSign = generator.next() & 1 == 0 ? .plus : .minus
        return Float80(sign: sign, exponent: exponent, significand: significand)
    }

    @Test("+, −, ×, ÷ and the order match Float80 on 20,000 random operands beyond the double range")
    func arithmetic() {
        var generator = SplitMix64(seed: 80)
        for round in 0..<20_000 {
            // Every fourth pair is −a·(1 + δ) with |δ| < 2^-14, so the sums cancel.
            let a = random(&generator, range: 8000)
            let b =
                round % 4 == 0 ? -a * (1 + random(&generator, range: 30) * 0x1p-45) : random(&generator, range: 8000)
            let (x, y) = (extended(a), extended(b))
            #expect(float80(x) == a)
            #expect(float80(x + y) == a + b, "\(a) + \(b)")
            #expect(float80(x - y) == a - b, "\(a) - \(b)")
            #expect(float80(x * y) == a * b, "\(a) * \(b)")
            #expect(float80(x / y) == a / b, "\(a) / \(b)")
            #expect((x < y) == (a < b) && (x == y) == (a == b) && (x > y) == (a > b))
        }
    }

    @Test("Conversion to Double matches Float80's, subnormals included")
    func toDouble() {
        var generator = SplitMix64(seed: 81)
        for _ in 0..<20_000 {
            let a = random(&generator, range: 1100)
            #expect(Double(extended(a)) == Double(a), "\(a)")
        }
    }

    @Test("The logarithm is within 2 Float80 ulps of logl (itself within 1)")
    func logarithm() {
        var generator = SplitMix64(seed: 82)
        for round in 0..<20_000 {
            var a = abs(random(&generator, range: round % 2 == 0 ? 3 : 16000))
            if round % 8 == 0 { a = 1 + a * 0x1p-40 }
            let expected = logl(a)
            let got = float80(ExtendedReal.logarithm(extended(a)))
            #expect(abs(got - expected) <= 2 * expected.ulp, "log \(a): \(got) vs \(expected)")
        }
    }
}
#endif
