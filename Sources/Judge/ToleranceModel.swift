public import GaussianNLL

/// The outputs of a call that the judge checks.
public enum OutputKind: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case loss
    case gradInput = "grad_input"
    case gradTarget = "grad_target"
    case gradVar = "grad_var"
    case hvpInput = "hvp_input"
    case hvpTarget = "hvp_target"
    case hvpVar = "hvp_var"
    case jvp

    public var description: String { rawValue }
}

/// When a computed value conforms: |result − exact| ≤ bound, with the bound built from the oracle's
/// error scale.
///
/// For an element with exact value e, error scale S, accumulated magnitude A over m summands and
/// range slack R (all from ``Oracle``), in an output of dtype with unit roundoff u whose reductions
/// accumulate with unit roundoff u_acc and whose smallest subnormal is η:
///
///     bound = k·u·S + κ·⌈log2 m⌉·u_acc·A + R + m·η
///
/// - k is twice the first-order error bound of PyTorch's evaluation order for the output kind
///   (CONFORMANCE.md derives it), so PyTorch itself stays within half the bound.
/// - κ·⌈log2 m⌉ covers pairwise or cascade summation (error ≤ u_acc·⌈log2 m⌉·A), with κ = 2 for the
///   same headroom. Naive left-to-right summation in a 16-bit type does not fit under it, by design:
///   PyTorch accumulates those in float32.
/// - R covers intermediates that became subnormal, and m·η the absolute rounding of subnormal results.
/// - u is the largest unit roundoff among the call's operand dtypes, since a mixed-dtype call may round
///   intermediates in its narrowest dtype.
///
/// NaN matches only NaN and an infinity only itself. An element whose evaluation overflows an
/// intermediate in its dtype (``ExactElement/overflows``) may instead be ±inf or NaN: the formula's own
/// intermediates overflow there (PyTorch's float16 gradients do), and a sum of such elements can meet
/// +inf and −inf.
public struct ToleranceModel: Sendable, Equatable {
    /// k per output kind.
    public var multipliers: [OutputKind: Double]
    /// κ, the multiplier of the accumulation term.
    public var accumulationMultiplier: Double

    public init(multipliers: [OutputKind: Double], accumulationMultiplier: Double) {
        self.multipliers = multipliers
        self.accumulationMultiplier = accumulationMultiplier
    }

    /// The model CONFORMANCE.md derives: k = 12 for the loss, 10 for the input and target gradients,
    /// 18 for the var gradient, 18 for the input and target hvp, 26 for var's hvp, 18 for the jvp, κ = 2.
    public static let standard = ToleranceModel(
        multipliers: [
            .loss: 12, .gradInput: 10, .gradTarget: 10, .gradVar: 18, .hvpInput: 18, .hvpTarget: 18, .hvpVar: 26,
            .jvp: 18,
        ], accumulationMultiplier: 2)

    /// The bound on |result − exact| for one element.
    public func bound(for element: ExactElement, kind: OutputKind, dtype: DType, unitRoundoff: Double) -> ExactReal {
        let k = ExactReal(multipliers[kind] ?? 0)
        let u = ExactReal(unitRoundoff)
        let levels = ExactReal(element.summands > 1 ? (Int.bitWidth - (element.summands - 1).leadingZeroBitCount) : 0)
        let accumulation =
            ExactReal(accumulationMultiplier) * levels
            * ExactReal(dtype.accumulationType.unitRoundoff) * element.magnitude
        let floor = ExactReal(Swift.max(element.summands, 1)) * ExactReal(dtype.leastNonzeroMagnitude)
        return k * u * element.errorScale + accumulation + element.rangeSlack + floor
    }

    /// Judges one computed value against the oracle's element.
    public func judge(
        _ value: Double, exact element: ExactElement, kind: OutputKind, dtype: DType, unitRoundoff: Double
    )
        -> ElementJudgement
    {
        let exact = element.value
        if exact.isNaN {
            return value.isNaN ? .exact : .mismatch("expected NaN")
        }
        if exact.isInfinite {
            if ExactReal(value) == exact { return .exact }
            // inf − inf: another summand's intermediate overflowed the other way.
            if element.overflows && !value.isFinite { return .allowedOverflow }
            return .mismatch("expected \(exact > 0 ? "inf" : "-inf")")
        }
        if !value.isFinite {
            if element.overflows { return .allowedOverflow }
            if value.isInfinite {
                if ExactReal(value) == (exact > 0 ? .infinity : -.infinity) && roundsToInfinity(exact, dtype: dtype) {
                    return .exact
                }
                // A value the bound allows rounds to this infinity: a faithful evaluation may give it.
                let allowed = bound(for: element, kind: kind, dtype: dtype, unitRoundoff: unitRoundoff)
                let reach = value > 0 ? exact + allowed : allowed - exact
                if reach > 0 && roundsToInfinity(reach, dtype: dtype) { return .allowedOverflow }
            }
            return .mismatch("expected a finite value")
        }
        let error = abs(ExactReal(value) - exact)
        if error == 0 { return .exact }
        let bound = bound(for: element, kind: kind, dtype: dtype, unitRoundoff: unitRoundoff)
        // Range slack beyond the wide type's range: intermediates lost all precision, any finite value may result.
        if bound == .infinity { return .within(ratio: 0) }
        guard bound > 0 else { return .mismatch("no error is allowed here") }
        let ratio = Double(error / bound)
        return ratio <= 1 ? .within(ratio: ratio) : .beyond(ratio: ratio)
    }

    /// Whether the correctly rounded value of `x` in `dtype` is an infinity.
    private func roundsToInfinity(_ x: ExactReal, dtype: DType) -> Bool {
        // IEEE rounds to infinity from max + ulp(max)/2 = 2^(emax+1)·(1 − u/2), with max = 2^(emax+1)·(1 − u).
        let limit = ExactReal(dtype.greatestFiniteMagnitude)
        let u = ExactReal(dtype.unitRoundoff)
        return abs(x) >= limit / (1 - u) * (1 - u / 2)
    }
}

/// The judge's finding for one element.
public enum ElementJudgement: Sendable, Equatable {
    /// Equal to the exact value, or the same NaN or infinity.
    case exact
    /// Within the bound; `ratio` is |error| / bound, at most 1.
    case within(ratio: Double)
    /// A non-finite value where an intermediate of the formula may overflow its dtype, or an infinity
    /// where a value within the bound rounds to it.
    case allowedOverflow
    /// Finite, but beyond the bound; `ratio` > 1.
    case beyond(ratio: Double)
    /// A NaN, an infinity, or a finite value where the exact value is of another class.
    case mismatch(String)

    /// Whether the element conforms.
    public var passes: Bool {
        switch self {
        case .exact, .within, .allowedOverflow: true
        case .beyond, .mismatch: false
        }
    }

    /// |error| / bound: 0 for an exact match, infinity for a class mismatch.
    public var ratio: Double {
        switch self {
        case .exact, .allowedOverflow: 0
        case .within(let ratio), .beyond(let ratio): ratio
        case .mismatch: .infinity
        }
    }
}
