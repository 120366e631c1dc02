// Double-double arithmetic on significands near 1, the core of ``ExtendedReal``: the error-free transformations
// and the accurate algorithms of Joldes, Muller and Popescu, "Tight and rigorous error bounds for basic building
// blocks of double-word arithmetic" (ACM TOMS 44, 2017), with u = 2^-53.

/// s + e = a + b exactly, s = fl(a + b) (Knuth's TwoSum).
@inline(__always)
func twoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
    let sum = a + b
    let bVirtual = sum - a
    let aVirtual = sum - bVirtual
    return (sum, (a - aVirtual) + (b - bVirtual))
}

/// s + e = a + b exactly, s = fl(a + b), for |a| ≥ |b| or a = 0 (Dekker's Fast2Sum).
@inline(__always)
func fastTwoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
    let sum = a + b
    return (sum, b - (sum - a))
}

/// p + e = a·b exactly, p = fl(a·b), barring underflow (TwoProd with a fused multiply-add).
@inline(__always)
func twoProduct(_ a: Double, _ b: Double) -> (product: Double, error: Double) {
    let product = a * b
    return (product, (-product).addingProduct(a, b))
}

/// An unevaluated sum high + low with high = fl(high + low): about 106 bits of significand in a double's range.
///
/// Used on values near 1 only (``ExtendedReal`` keeps the exponent apart), so no step underflows or overflows.
struct DoubleDouble: Sendable {
    var high: Double
    var low: Double

    init(high: Double, low: Double) {
        self.high = high
        self.low = low
    }

    init(_ value: Double) {
        self.init(high: value, low: 0)
    }

    static prefix func - (x: DoubleDouble) -> DoubleDouble { DoubleDouble(high: -x.high, low: -x.low) }

    /// AccurateDWPlusDW (Algorithm 6): relative error ≤ 3u²/(1 − 4u).
    static func + (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble {
        let (sh, sl) = twoSum(x.high, y.high)
        let (th, tl) = twoSum(x.low, y.low)
        let (vh, vl) = fastTwoSum(sh, sl + th)
        let (zh, zl) = fastTwoSum(vh, tl + vl)
        return DoubleDouble(high: zh, low: zl)
    }

    static func - (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble { x + -y }

    /// DWTimesFP3 (Algorithm 9): relative error ≤ 2u².
    static func * (x: DoubleDouble, y: Double) -> DoubleDouble {
        let (ch, cl1) = twoProduct(x.high, y)
        let cl3 = cl1.addingProduct(x.low, y)
        let (zh, zl) = fastTwoSum(ch, cl3)
        return DoubleDouble(high: zh, low: zl)
    }

    /// DWTimesDW3 (Algorithm 12): relative error ≤ 4u².
    static func * (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble {
        let (ch, cl1) = twoProduct(x.high, y.high)
        let tl0 = x.low * y.low
        let tl1 = tl0.addingProduct(x.high, y.low)
        let cl2 = tl1.addingProduct(x.low, y.high)
        let (zh, zl) = fastTwoSum(ch, cl1 + cl2)
        return DoubleDouble(high: zh, low: zl)
    }

    /// Three quotient digits with exact-enough remainders (the QD library's accurate division): each digit's
    /// remainder x − q·y is formed with the products above, so the quotient's relative error stays within a
    /// few u².
    static func / (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble {
        let q1 = x.high / y.high
        var remainder = x - y * q1
        let q2 = remainder.high / y.high
        remainder = remainder - y * q2
        let q3 = remainder.high / y.high
        let (h, l) = fastTwoSum(q1, q2)
        return DoubleDouble(high: h, low: l) + DoubleDouble(q3)
    }
}
