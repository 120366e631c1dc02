#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// What the oracle knows about one output element: its exact value, and what bounds a faithful
/// implementation's error on it.
public struct ExactElement: Sendable, Equatable {
    /// The exact value of the formula on the dtype values of the operands (clamped in var's dtype),
    /// computed in wider precision: double for 16- and 32-bit dtypes, Float80 for float64.
    public var value: Float80
    /// The error scale S: the sum of the absolute values of the terms that make up the element.
    /// A dtype evaluation's rounding errors are bounded by a small multiple of u·S.
    public var errorScale: Float80
    /// The sum of the absolute values of the summands a reduction or broadcast gradient accumulates.
    public var magnitude: Float80
    /// How many summands were accumulated: 1 for an element-wise value.
    public var summands: Int
    /// Extra absolute error allowed because an intermediate of the formula became subnormal in its
    /// dtype and so lost relative precision; 0 when every intermediate stays in the normal range.
    public var rangeSlack: Float80
    /// Whether an evaluation in the dtypes may legitimately give an infinity or NaN here: an
    /// intermediate of the formula comes within rounding error of its dtype's largest finite value, a
    /// sum of them overflows, or a factor that rounds to zero meets an infinite one (0·∞, 0/0).
    public var overflows: Bool

    public init(
        value: Float80, errorScale: Float80, magnitude: Float80, summands: Int, rangeSlack: Float80, overflows: Bool
    ) {
        self.value = value
        self.errorScale = errorScale
        self.magnitude = magnitude
        self.summands = summands
        self.rangeSlack = rangeSlack
        self.overflows = overflows
    }

    /// Whether any intermediate left the dtype's normal range.
    public var leavesNormalRange: Bool { overflows || rangeSlack > 0 }
}

/// The exact values of one output tensor.
public struct ExactTensor: Sendable, Equatable {
    /// The dtype the output has in PyTorch.
    public var dtype: DType
    public var shape: Shape
    public var elements: [ExactElement]
}

/// The exact gradients of a call, each with its operand's shape and dtype.
public struct ExactGradients: Sendable, Equatable {
    public var input: ExactTensor
    public var target: ExactTensor
    /// `nil` for a scalar var.
    public var variance: ExactTensor?
}

/// The oracle's answer for a call.
public enum ExactOutcome: Sendable, Equatable {
    case success(loss: ExactTensor, gradients: ExactGradients?)
    case rejection(Rejection)
}

/// The exact values of `gaussian_nll_loss` and of its gradients, with the error scale of each element.
///
/// The oracle follows the same profile rules as ``Reference`` (the same checks, errors, shapes and
/// dtypes) and the same clamp in var's dtype, and then evaluates the formula in wider precision,
/// with compensated summation for every reduction. It also tracks, per element, whether an
/// intermediate of PyTorch's evaluation order would leave its dtype's normal range.
public enum Oracle {
    /// Evaluates a call exactly under a profile.
    public static func evaluate(_ call: LossCase, profile: Profile = .current) -> ExactOutcome {
        switch CallLayout.resolve(call, profile: profile) {
        case .failure(let rejection):
            return .rejection(rejection)
        case .success(let layout):
            if let gradOutput = call.gradOutput {
                let lossShape = layout.reduction == .none ? layout.unreducedShape : []
                if let rejection = checkGradOutput(gradOutput, lossShape: lossShape, lossType: layout.resultType) {
                    return .rejection(rejection)
                }
            }
            if layout.resultType == .float64 {
                return OracleEvaluation<Float80>(call: call, layout: layout).run()
            }
            return OracleEvaluation<Double>(call: call, layout: layout).run()
        }
    }
}

/// A floating type the oracle computes in.
protocol OracleReal: BinaryFloatingPoint {
    static func logarithm(_ x: Self) -> Self
}

extension Double: OracleReal {
    static func logarithm(_ x: Double) -> Double { log(x) }
}

extension Float80: OracleReal {
    static func logarithm(_ x: Float80) -> Float80 { logl(x) }
}

/// Compensated (Neumaier) summation of exact terms, with the bookkeeping the judge needs.
private struct ExactSum<W: OracleReal> {
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
            value: Float80(value / divisor), errorScale: Float80(scale / divisor),
            magnitude: Float80(magnitude / divisor), summands: summands, rangeSlack: Float80(slack / divisor),
            overflows: overflows || (magnitude.isFinite && magnitude > accumulationLimit))
    }
}

/// Range bookkeeping for the intermediates of one element.
///
/// An intermediate computed in its dtype differs from its exact value by a few rounding errors of the
/// call's operands, so "may overflow" and "may round to zero" are decided with that margin.
private struct RangeCheck<W: OracleReal> {
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

private struct OracleEvaluation<W: OracleReal> {
    let call: LossCase
    let layout: CallLayout
    let differenceIndex: BroadcastIndex
    let varianceIndex: BroadcastIndex
    /// The relative error within which an intermediate counts as reaching a range limit.
    let margin: W
    /// The dtype the divisions read var in (``CallLayout/divisorType``).
    let divisorType: DType

    init(call: LossCase, layout: CallLayout) {
        self.call = call
        self.layout = layout
        differenceIndex = layout.differenceIndex
        varianceIndex = layout.varianceIndex
        margin = 16 * W(call.largestUnitRoundoff)
        divisorType = layout.divisorType
    }

    private func rangeCheck() -> RangeCheck<W> { RangeCheck(margin: margin) }

    /// Whether a sum PyTorch forms in `type` and then rounds to `rounded` may overflow on the way:
    /// in a partial sum of its accumulation type, or in either rounding.
    private func sumMayOverflow(_ sum: ExactSum<W>, accumulatingIn type: DType, roundedTo rounded: DType) -> Bool {
        let range = rangeCheck()
        return sum.magnitude * (1 + margin) > W(type.accumulationType.greatestFiniteMagnitude)
            || range.mayOverflow(sum.value, type) || range.mayOverflow(sum.value, rounded)
    }

    func run() -> ExactOutcome {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType
        let floor = varianceType.round(call.eps)
        let clamped = layout.varianceValues.map { W(layout.clamp($0, floor: floor)) }
        let difference = differences()
        let constant = W.logarithm(2 * W.pi) / 2

        // Element-wise terms, summed per sample in torch-1.8, kept apart for 'none'.
        let width = layout.rowWidth
        let unreducedCount = (try? layout.unreducedShape.elementCount()) ?? 0
        let keepsRows = layout.profile.sumsPerSample || layout.reduction == .none
        var rows = [ExactSum<W>](repeating: ExactSum(), count: keepsRows ? unreducedCount : 0)
        var total = ExactSum<W>()
        for position in 0..<layout.elementCount {
            let variance = clamped[varianceIndex[position]]
            let d = difference[differenceIndex[position]]
            let logVariance = W.logarithm(variance)
            let squared = d * d
            let ratio = squared / variance
            let sum = logVariance + ratio
            var value = sum / 2
            var range = rangeCheck()
            range.note(d, differenceType, term: ratio / 2, power: 2)
            range.note(squared, differenceType, term: ratio / 2)
            range.noteDivisor(variance, divisorType, term: ratio / 2)
            // A 0-d difference that lost the promotion to var is converted to the result's dtype here.
            range.note(squared, resultType, term: ratio / 2)
            range.noteQuotient(
                numeratorMayBeZero: range.mayBeZero(squared, differenceType) || range.mayBeZero(squared, resultType),
                numeratorMayBeInfinite: range.mayBeInfinite(squared, resultType), variance, divisorType)
            range.note(ratio, resultType, term: ratio / 2)
            range.noteFinal(sum, resultType)
            range.noteFinal(value, resultType)
            var scale = abs(logVariance) / 2 + abs(ratio) / 2
            if call.full && !layout.profile.sumsPerSample {
                value += constant
                scale += constant
                range.noteFinal(value, resultType)
            }
            if keepsRows {
                rows[position / width].add(value, scale: scale, slack: range.slack, overflows: range.overflows)
            } else {
                total.add(value, scale: scale, slack: range.slack, overflows: range.overflows)
            }
        }
        if layout.profile.sumsPerSample && call.full {
            // torch-1.8 adds 0.5·D·log(2π) once per sample, after the row sum.
            let rowConstant = W(layout.rowWidth) * constant
            // The Python float is rounded to the result's dtype before the addition: beyond float16's range, inf.
            let constantOverflows = rangeCheck().mayOverflow(rowConstant, resultType)
            for index in rows.indices {
                rows[index].add(rowConstant, scale: rowConstant, slack: 0, overflows: constantOverflows)
            }
        }
        let unreduced = rows.map { $0.element(type: resultType) }
        if keepsRows && layout.reduction != .none {
            // Each row sum is rounded to the result's dtype before the reduction adds it.
            for (row, element) in zip(rows, unreduced) {
                var element = element
                element.overflows =
                    element.overflows || sumMayOverflow(row, accumulatingIn: resultType, roundedTo: resultType)
                total.absorb(element)
            }
        }

        let loss: ExactTensor
        switch layout.reduction {
        case .none:
            loss = ExactTensor(dtype: resultType, shape: layout.unreducedShape, elements: unreduced)
        case .sum:
            loss = ExactTensor(dtype: resultType, shape: [], elements: [total.element(type: resultType)])
        case .mean:
            let count = W(unreducedCount)
            loss = ExactTensor(
                dtype: resultType, shape: [], elements: [total.element(dividedBy: count, type: resultType)])
        }
        guard let gradOutput = call.gradOutput else { return .success(loss: loss, gradients: nil) }
        return .success(
            loss: loss,
            gradients: backward(
                gradOutput: gradOutput, unreducedCount: unreducedCount, clamped: clamped,
                difference: difference))
    }

    /// `input - target` exactly, after a 0-d operand that lost the promotion is converted to the
    /// difference's dtype, as PyTorch converts it before subtracting.
    private func differences() -> [W] {
        let count = layout.differenceCount
        let inputIndex = layout.inputIndex
        let targetIndex = layout.targetIndex
        let differenceType = layout.differenceType
        func converted(_ tensor: Tensor, shape: Shape) -> [Double] {
            shape.rank == 0 && tensor.dtype != differenceType ? tensor.values.map(differenceType.round) : tensor.values
        }
        let inputValues = converted(call.input, shape: layout.inputShape)
        let targetValues = converted(call.target, shape: layout.targetShape)
        return (0..<count).map { W(inputValues[inputIndex[$0]]) - W(targetValues[targetIndex[$0]]) }
    }

    private func backward(gradOutput: Tensor, unreducedCount: Int, clamped: [W], difference: [W]) -> ExactGradients {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType
        let width = layout.rowWidth

        let gradientOf: (Int) -> W
        switch layout.reduction {
        case .none:
            let values = gradOutput.values
            gradientOf = { W(values[$0 / width]) }
        case .sum:
            let value = W(gradOutput.values[0])
            gradientOf = { _ in value }
        case .mean:
            let value = W(gradOutput.values[0]) / W(unreducedCount)
            gradientOf = { _ in value }
        }

        var differenceSums = [ExactSum<W>](repeating: ExactSum(), count: difference.count)
        var varianceSums = [ExactSum<W>](repeating: ExactSum(), count: clamped.count)
        // The sums PyTorch forms before it multiplies or divides them: Σ (g/2)/v to the difference's
        // shape, and Σ g/2 and Σ −(g/2)·(d²/v)/v to var's. They can overflow where the product does not.
        var squaredGradientSums = [ExactSum<W>](repeating: ExactSum(), count: difference.count)
        var logSums = [ExactSum<W>](repeating: ExactSum(), count: clamped.count)
        var divisionSums = [ExactSum<W>](repeating: ExactSum(), count: clamped.count)
        // Under 'mean', grad_output / count is itself rounded to the result's dtype.
        let meanGradientRounds = layout.reduction == .mean
        for position in 0..<layout.elementCount {
            let varianceOffset = varianceIndex[position]
            let differenceOffset = differenceIndex[position]
            let variance = clamped[varianceOffset]
            let d = difference[differenceOffset]
            let gradient = gradientOf(position)
            let half = gradient / 2
            let probe = rangeCheck()
            let halfMayBeZero =
                probe.mayBeZero(half, resultType) || (meanGradientRounds && probe.mayBeZero(gradient, resultType))

            // d/d(difference) = g·d/v, as PyTorch forms it: (g/2 / v) · (2d).
            let squaredGradient = half / variance
            let differenceGradient = squaredGradient * (2 * d)
            var differenceRange = rangeCheck()
            if meanGradientRounds { differenceRange.note(gradient, resultType, term: differenceGradient) }
            differenceRange.note(half, resultType, term: differenceGradient)
            differenceRange.noteDivisor(variance, divisorType, term: differenceGradient)
            differenceRange.noteQuotient(numeratorMayBeZero: halfMayBeZero, variance, divisorType)
            differenceRange.note(squaredGradient, resultType, term: differenceGradient)
            // It is summed to the difference's shape and cast to the difference's dtype before the product.
            differenceRange.note(squaredGradient, differenceType, term: differenceGradient)
            differenceRange.note(2 * d, differenceType, term: differenceGradient)
            differenceRange.noteProduct(
                mayBeZero: halfMayBeZero || probe.mayBeZero(squaredGradient, resultType)
                    || probe.mayBeZero(squaredGradient, differenceType), 2 * d, differenceType)
            differenceRange.noteFinal(differenceGradient, differenceType)
            differenceSums[differenceOffset].add(
                differenceGradient, scale: abs(differenceGradient), slack: differenceRange.slack,
                overflows: differenceRange.overflows)
            squaredGradientSums[differenceOffset].add(squaredGradient, scale: 0, slack: 0, overflows: false)

            // d/dvar = g/2 · (1/v − d²/v²): log's part (g/2)/v and the division's −(g/2)·((d²/v)/v).
            let logPart = half / variance
            let squared = d * d
            let ratio = squared / variance
            let quotient = ratio / variance
            let divisionPart = -half * quotient
            var varianceRange = rangeCheck()
            if meanGradientRounds { varianceRange.note(gradient, resultType, term: abs(logPart) + abs(divisionPart)) }
            varianceRange.note(half, resultType, term: abs(logPart) + abs(divisionPart))
            varianceRange.note(logPart, varianceType, term: logPart)
            varianceRange.note(squared, differenceType, term: divisionPart)
            varianceRange.note(squared, resultType, term: divisionPart)
            varianceRange.noteDivisor(variance, divisorType, term: divisionPart)
            let squaredMayBeZero = probe.mayBeZero(squared, differenceType) || probe.mayBeZero(squared, resultType)
            let ratioMayBeZero = squaredMayBeZero || probe.mayBeZero(ratio, resultType)
            varianceRange.noteQuotient(
                numeratorMayBeZero: squaredMayBeZero,
                numeratorMayBeInfinite: probe.mayBeInfinite(squared, resultType), variance, divisorType)
            varianceRange.noteQuotient(numeratorMayBeZero: ratioMayBeZero, variance, divisorType)
            varianceRange.note(ratio, resultType, term: divisionPart)
            varianceRange.note(quotient, resultType, term: divisionPart)
            varianceRange.noteProduct(mayBeZero: halfMayBeZero, quotient, resultType)
            varianceRange.noteProduct(
                mayBeZero: ratioMayBeZero || probe.mayBeZero(quotient, resultType), half, resultType)
            varianceRange.noteFinal(divisionPart, resultType)
            // Both parts are cast to var's dtype before they are added; log's part divides there.
            varianceRange.note(half, varianceType, term: logPart)
            varianceRange.noteQuotient(
                numeratorMayBeZero: halfMayBeZero || probe.mayBeZero(half, varianceType), variance, varianceType)
            varianceRange.noteFinal(divisionPart, varianceType)
            let value = logPart + divisionPart
            varianceRange.noteFinal(value, varianceType)
            varianceSums[varianceOffset].add(
                value, scale: abs(logPart) + abs(divisionPart), slack: varianceRange.slack,
                overflows: varianceRange.overflows)
            // The two parts are accumulated separately, so both count towards the accumulation error.
            varianceSums[varianceOffset].magnitude +=
                abs(logPart) + abs(divisionPart) - (value.isFinite ? abs(value) : 0)
            logSums[varianceOffset].add(half, scale: 0, slack: 0, overflows: false)
            divisionSums[varianceOffset].add(divisionPart, scale: 0, slack: 0, overflows: false)
        }

        for offset in difference.indices {
            if squaredGradientSums[offset].summands == 0 {
                // Nothing reads this difference element: its gradient is (Σ of nothing)·2d = 0·2d, NaN
                // when 2d is infinite in the difference's dtype.
                let twice = 2 * difference[offset]
                differenceSums[offset].add(
                    0 * twice, scale: 0, slack: 0, overflows: rangeCheck().mayOverflow(twice, differenceType))
            } else if sumMayOverflow(squaredGradientSums[offset], accumulatingIn: resultType, roundedTo: differenceType)
            {
                differenceSums[offset].overflows = true
            }
        }
        for offset in clamped.indices {
            if logSums[offset].summands == 0 {
                // Nothing reads this var element: log's backward still divides (Σ of nothing) by it.
                varianceSums[offset].add(0 / clamped[offset], scale: 0, slack: 0, overflows: false)
            } else if sumMayOverflow(logSums[offset], accumulatingIn: resultType, roundedTo: varianceType)
                || sumMayOverflow(divisionSums[offset], accumulatingIn: resultType, roundedTo: varianceType)
                || rangeCheck().mayOverflow(logSums[offset].value / clamped[offset], varianceType)
            {
                varianceSums[offset].overflows = true
            }
        }

        let differenceElements = differenceSums.map { $0.element(type: differenceType) }
        let input = reduceToOperand(
            differenceElements, operandShape: layout.inputShape, dtype: call.input.dtype,
            outputShape: call.input.shape, negate: false)
        let target = reduceToOperand(
            differenceElements, operandShape: layout.targetShape, dtype: call.target.dtype,
            outputShape: call.target.shape, negate: true)
        var variance: ExactTensor?
        if let original = call.variance.tensor {
            variance = ExactTensor(
                dtype: original.dtype, shape: original.shape,
                elements: varianceSums.map { $0.element(type: varianceType) })
        }
        return ExactGradients(input: input, target: target, variance: variance)
    }

    /// Sums difference-shaped gradient elements to an operand's shape (input or target).
    private func reduceToOperand(
        _ elements: [ExactElement], operandShape: Shape, dtype: DType, outputShape: Shape, negate: Bool
    ) -> ExactTensor {
        let count = (try? operandShape.elementCount()) ?? 0
        let index = BroadcastIndex(operand: operandShape, result: layout.differenceShape, resultCount: elements.count)
        var sums = [ExactSum<Float80>](repeating: ExactSum(), count: count)
        for (position, element) in elements.enumerated() {
            sums[index[position]].absorb(element, negated: negate)
        }
        // The sum is rounded to the difference's dtype before the cast to the operand's.
        let range = rangeCheck()
        let reduced = sums.map { sum in
            var element = sum.element(type: layout.differenceType)
            element.overflows =
                element.overflows
                || (dtype != layout.differenceType && range.mayOverflow(W(element.value), layout.differenceType))
            return element
        }
        return ExactTensor(dtype: dtype, shape: outputShape, elements: reduced)
    }
}
