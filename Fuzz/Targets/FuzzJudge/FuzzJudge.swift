import GaussianNLL
import Judge

/// The tolerance model on arbitrary bit patterns: any value, exact value, error scale, magnitude, summand
/// count, range slack, unit roundoff and multipliers. `ToleranceModel.bound` and `judge` must never trap,
/// and every judgement must be well defined: its ratio is never NaN, `passes` agrees with the ratio, a
/// NaN passes only against NaN (or where an overflow allows it), and a value that passes implies that
/// the value nearest the exact one passes too, and so does the exact value correctly rounded to the dtype.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = FuzzBytes(data, size)
    let kind = bytes.pick(OutputKind.allCases)
    let dtype = bytes.pick(DType.floatingCases)
    let model = bytes.model()
    let unitRoundoff = bytes.bool() ? bytes.double() : bytes.pick(DType.floatingCases.map(\.unitRoundoff))
    let element = ExactElement(
        value: bytes.exact(), errorScale: bytes.scale(), magnitude: bytes.scale(), summands: bytes.summands(),
        rangeSlack: bytes.scale(), overflows: bytes.bool())
    let value = bytes.value(near: element.value, dtype: dtype, unitRoundoff: unitRoundoff)

    let bound = model.bound(for: element, kind: kind, dtype: dtype, unitRoundoff: unitRoundoff)
    let judgement = model.judge(value, exact: element, kind: kind, dtype: dtype, unitRoundoff: unitRoundoff)
    let context = "value \(value) (\(value.bitPattern)), \(element), \(kind), \(dtype), u \(unitRoundoff), \(model)"
    checkConsistent(judgement, context: context)

    let exact = element.value
    if exact.isNaN {
        require(judgement.passes == value.isNaN, "NaN expected: \(judgement) for \(context)")
    } else if value.isNaN {
        require(!judgement.passes || element.overflows, "NaN passes for \(context)")
    }
    if value.isFinite && exact.isFinite && ExactReal(value) == exact {
        require(judgement == .exact, "an exact value is judged \(judgement) for \(context)")
    }
    // The double nearest the exact value is at least as close as any other double.
    if judgement.passes && value.isFinite && exact.isFinite {
        let nearest = Double(exact)
        if nearest.isFinite {
            let other = model.judge(nearest, exact: element, kind: kind, dtype: dtype, unitRoundoff: unitRoundoff)
            require(other.passes, "\(value) passes but the nearest \(nearest) is \(other) for \(context)")
        }
    }
    // The exact value correctly rounded to the dtype always passes when the error scale covers it, an
    // infinity included where the exact value rounds to one.
    let saneRoundoff = unitRoundoff >= dtype.unitRoundoff && unitRoundoff <= 1
    if model == .standard && element.isSane && saneRoundoff && exact.isFinite && element.errorScale >= abs(exact) {
        let rounded = dtype.round(Double(exact))
        let verdict = model.judge(rounded, exact: element, kind: kind, dtype: dtype, unitRoundoff: unitRoundoff)
        require(verdict.passes, "the correctly rounded \(rounded) is judged \(verdict) for \(context)")
    }
    // Sane inputs give a finite, positive bound: the judge can always decide by the error.
    if model == .standard && element.isSane && unitRoundoff > 0 && unitRoundoff <= 1 {
        require(bound.isFinite && bound > 0, "bound \(bound) for \(context)")
    }
    return 0
}

/// The judgement's ratio is never NaN, and `passes` agrees with it.
func checkConsistent(_ judgement: ElementJudgement, context: @autoclosure () -> String) {
    let ratio = judgement.ratio
    require(!ratio.isNaN, "NaN ratio: \(judgement) for \(context())")
    switch judgement {
    case .exact, .allowedOverflow:
        require(ratio == 0 && judgement.passes, "\(judgement) for \(context())")
    case .within(let value):
        require(value >= 0 && value <= 1 && judgement.passes, "\(judgement) for \(context())")
    case .beyond(let value):
        require(value > 1 && !judgement.passes, "\(judgement) for \(context())")
    case .mismatch:
        require(ratio == .infinity && !judgement.passes, "\(judgement) for \(context())")
    }
}

extension ExactElement {
    /// Finite, non-negative fields of plausible size, as the oracle produces them.
    var isSane: Bool {
        let limit = ExactReal(0x1p1000) * ExactReal(0x1p1000) * ExactReal(0x1p1000) * ExactReal(0x1p1000)
        return [errorScale, magnitude, rangeSlack].allSatisfy { $0.isFinite && $0 >= 0 && $0 <= limit }
            && summands >= 0
    }
}

extension FuzzBytes {
    mutating func double() -> Double {
        switch index(3) {
        case 0: return Double(bitPattern: uint64())
        case 1: return Double(Float(bitPattern: uint32()))
        default:
            return pick([
                0, -0.0, 1, -1, .infinity, -.infinity, .nan, -.nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                .leastNormalMagnitude, Double(Float.greatestFiniteMagnitude), Double(Float16.greatestFiniteMagnitude),
                0x1p-24, 0x1p-53, 0x1p-11, 0x1p-8, 1e-6,
            ])
        }
    }

    /// An exact value (``ExactReal``): any double, products of two (beyond the double's range and precision),
    /// special values, or values near a dtype's largest finite value.
    mutating func exact() -> ExactReal {
        switch index(5) {
        case 4:
            // Just beyond a dtype's largest finite value: up to one spacing there, where rounding to the
            // dtype gives the largest value or an infinity.
            let dtype = pick(DType.floatingCases)
            let limit = ExactReal(dtype.greatestFiniteMagnitude)
            let spacing = limit * ExactReal(dtype.unitRoundoff) * 2
            let value = limit + spacing * ExactReal(Int(byte())) / 256
            return bool() ? -value : value
        case 0: return ExactReal(double()) * ExactReal(double())
        case 1: return ExactReal(double())
        case 2:
            let largest = ExactReal(Double.greatestFiniteMagnitude)
            let least = ExactReal(Double.leastNonzeroMagnitude)
            return pick([0, -0.0, .infinity, -.infinity, .nan, largest * largest, -largest * largest, least * least])
        default:
            return ExactReal(Int(Int8(bitPattern: byte())))
                * ExactReal(Double(sign: .plus, exponent: Int(Int8(bitPattern: byte())), significand: 1))
        }
    }

    /// An error scale, magnitude or slack: usually a plausible non-negative value, sometimes anything.
    mutating func scale() -> ExactReal {
        switch index(4) {
        case 0: return exact()
        case 1: return 0
        default: return abs(exact())
        }
    }

    mutating func summands() -> Int {
        switch index(4) {
        case 0: return Int(truncatingIfNeeded: uint64())
        case 1: return pick([0, 1, 2, Int.max, Int.min, -1, 1 << 62])
        default: return Int(byte()) + 1
        }
    }

    mutating func model() -> ToleranceModel {
        guard bool() else { return .standard }
        var multipliers = [OutputKind: Double]()
        for kind in OutputKind.allCases where bool() { multipliers[kind] = double() }
        return ToleranceModel(multipliers: multipliers, accumulationMultiplier: double())
    }

    /// A computed value: arbitrary bits, or one at or near the exact value.
    mutating func value(near exact: ExactReal, dtype: DType, unitRoundoff: Double) -> Double {
        let nearest = Double(exact)
        switch index(6) {
        case 0: return double()
        case 1: return nearest
        case 2: return nearest.nextUp
        case 3: return nearest.nextDown
        case 4: return dtype.round(nearest)
        default: return nearest * (1 + Double(Int8(bitPattern: byte())) * unitRoundoff)
        }
    }
}
