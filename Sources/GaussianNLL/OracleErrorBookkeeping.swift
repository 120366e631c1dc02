// The error-bound bookkeeping of the oracle: what the judge's bound on each element is made of.

/// Compensated (Neumaier) summation of exact terms, with the bookkeeping the judge needs.
struct ExactSum<W: OracleReal> {
    private var total: W = 0
    private var compensation: W = 0
    private var positiveInfinity = false
    private var negativeInfinity = false
    private var notANumber = false
    var scale: W = 0
    var magnitude: W = 0
    var summands = 0
    var slack: W = 0
    var overflows = false

    mutating func add(_ value: W, scale termScale: W, slack termSlack: W, overflows termOverflows: Bool) {
        summands += 1
        scale += termScale
        slack += termSlack
        overflows = overflows || termOverflows
        if value.isNaN {
            notANumber = true
        } else if value.isInfinite {
            if value > 0 { positiveInfinity = true } else { negativeInfinity = true }
        } else {
            magnitude += abs(value)
            let next = total + value
            if !next.isFinite {
                // Beyond the wide type's range, and so far beyond the dtype's: an infinity there too.
                if next > 0 { positiveInfinity = true } else { negativeInfinity = true }
                overflows = true
                return
            }
            if abs(total) >= abs(value) {
                compensation += (total - next) + value
            } else {
                compensation += (value - next) + total
            }
            total = next
        }
    }

    /// Adds an element that is itself a sum, keeping its bookkeeping.
    mutating func absorb(_ element: ExactElement, negated: Bool = false) {
        let summandsBefore = summands
        let magnitudeBefore = magnitude
        add(
            W(negated ? -element.value : element.value), scale: W(element.errorScale),
            slack: W(element.rangeSlack), overflows: element.overflows)
        summands = summandsBefore + element.summands
        magnitude = magnitudeBefore + W(element.magnitude)
    }

    var value: W {
        if notANumber || (positiveInfinity && negativeInfinity) { return .nan }
        if positiveInfinity { return .infinity }
        if negativeInfinity { return -.infinity }
        return total + compensation
    }

    /// The element, with accumulation overflow flagged when the summands' magnitudes exceed what the
    /// accumulation type holds.
    func element(dividedBy divisor: W = 1, type: DType) -> ExactElement {
        let accumulationLimit = W(type.accumulationType.greatestFiniteMagnitude)
        return ExactElement(
            value: (value / divisor).exactReal, errorScale: (scale / divisor).exactReal,
            magnitude: (magnitude / divisor).exactReal, summands: summands, rangeSlack: (slack / divisor).exactReal,
            overflows: overflows || (magnitude.isFinite && magnitude > accumulationLimit))
    }
}

/// Range bookkeeping for the intermediates of one element.
///
/// An intermediate computed in its dtype differs from its exact value by a few rounding errors of the
/// call's operands, so "may overflow" and "may round to zero" are decided with that margin.
struct RangeCheck<W: OracleReal> {
    /// The relative error an intermediate may carry: a multiple of the call's largest unit roundoff.
    let margin: W
    var slack: W = 0
    var overflows = false
    /// The relative error that subnormal intermediates noted so far add to the later ones.
    var subnormalError: W = 0

    init(margin: W) {
        self.margin = margin
    }

    /// Whether `x`, exactly finite, may be infinite when computed in `type`.
    func mayOverflow(_ x: W, _ type: DType) -> Bool {
        x.isFinite && abs(x) * (1 + margin + subnormalError) > W(type.greatestFiniteMagnitude)
    }

    /// Whether `x` is infinite, or may be when computed in `type`.
    func mayBeInfinite(_ x: W, _ type: DType) -> Bool { x.isInfinite || mayOverflow(x, type) }

    /// Whether `x` is zero, or nonzero but small enough to round to zero in `type`.
    func mayBeZero(_ x: W, _ type: DType) -> Bool {
        x == 0 || (x.isFinite && abs(x) < W(type.leastNonzeroMagnitude))
    }

    /// Records intermediate `x` of dtype `type`. When it is subnormal its relative error can reach
    /// `spacing / |x|`, which `term` (the part of the result that depends on x, to the power `power`)
    /// inherits.
    mutating func note(_ x: W, _ type: DType, term: W, power: W = 1) {
        guard x.isFinite else { return }
        let magnitude = abs(x)
        if mayOverflow(x, type) {
            overflows = true
        } else if magnitude != 0 && magnitude < W(type.leastNormalMagnitude) {
            let relative = Swift.min(1, power * W(type.leastNonzeroMagnitude) / magnitude)
            if term.isFinite { slack += abs(term) * relative }
            subnormalError += relative
        }
    }

    /// Records a divisor `x` read in `type`: beyond the range it becomes ±inf and the quotient `term`
    /// depends on may become 0 (or NaN).
    mutating func noteDivisor(_ x: W, _ type: DType, term: W) {
        if mayOverflow(x, type) {
            overflows = true
            if term.isFinite { slack += abs(term) }
        } else {
            note(x, type, term: term)
        }
    }

    /// Records an intermediate whose own rounding error reaches the result with weight 1.
    mutating func noteFinal(_ x: W, _ type: DType) {
        guard x.isFinite else { return }
        let magnitude = abs(x)
        if mayOverflow(x, type) {
            overflows = true
        } else if magnitude != 0 && magnitude < W(type.leastNormalMagnitude) {
            slack += W(type.leastNonzeroMagnitude)
        }
    }

    /// Records a product whose one factor may round to zero while the other is or may become
    /// infinite: the dtype evaluation gives NaN where the exact product is infinite or finite.
    mutating func noteProduct(mayBeZero zero: Bool, _ factor: W, _ type: DType) {
        if zero && mayBeInfinite(factor, type) { overflows = true }
    }

    /// Records a quotient a/b in the dtypes: a divisor that may round to zero, 0/0 after a numerator
    /// rounded to zero, or ∞/∞ after one overflowed gives ±inf or NaN where the exact quotient is
    /// finite or infinite.
    mutating func noteQuotient(
        numeratorMayBeZero: Bool, numeratorMayBeInfinite: Bool = false, _ divisor: W, _ type: DType
    ) {
        if divisor != 0 && mayBeZero(divisor, type) { overflows = true }
        if divisor == 0 && numeratorMayBeZero { overflows = true }
        if numeratorMayBeInfinite && mayBeInfinite(divisor, type) { overflows = true }
    }
}
