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
            if let problem = call.higherOrderProblem {
                return .rejection(Rejection(kind: .unsupported, exceptionType: "ValueError", message: problem))
            }
            if let gradOutput = call.gradOutput {
                let lossShape = layout.reduction == .none ? layout.unreducedShape : []
                if let rejection = checkGradOutput(gradOutput, lossShape: lossShape, lossType: layout.resultType) {
                    return .rejection(rejection)
                }
            }
            if layout.resultType == .float64 {
                return OracleEvaluation<ExactReal>(call: call, layout: layout).run()
            }
            return OracleEvaluation<Double>(call: call, layout: layout).run()
        }
    }
}

/// One oracle evaluation: the forward pass here, the backward pass in `Oracle+Backward.swift`.
struct OracleEvaluation<W: OracleReal> {
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

    func rangeCheck() -> RangeCheck<W> { RangeCheck(margin: margin) }

    /// Whether a sum PyTorch forms in `type` and then rounds to `rounded` may overflow on the way:
    /// in a partial sum of its accumulation type, or in either rounding.
    func sumMayOverflow(_ sum: ExactSum<W>, accumulatingIn type: DType, roundedTo rounded: DType) -> Bool {
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
        // (input − target)²: exact, or the integer square PyTorch formed and converted (which the layout holds).
        let squares: [W] = layout.integerSquares?.map { W($0) } ?? difference.map { $0 * $0 }
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
            let squared = squares[differenceIndex[position]]
            let ratio = squared / variance
            let sum = logVariance + ratio
            var value = sum / 2
            var range = rangeCheck()
            if layout.integerSquares == nil { range.note(d, differenceType, term: ratio / 2, power: 2) }
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
        let loss = reducedLikeTheLoss(rows: rows, total: total, unreducedCount: unreducedCount)
        guard let gradOutput = call.gradOutput else { return .success(loss: loss, gradients: nil, higherOrder: nil) }
        let gradients = backward(
            gradOutput: gradOutput, unreducedCount: unreducedCount, clamped: clamped, difference: difference,
            squares: squares)
        guard let request = call.higherOrder else {
            return .success(loss: loss, gradients: gradients, higherOrder: nil)
        }
        return .success(
            loss: loss, gradients: gradients,
            higherOrder: higherOrder(
                request, gradOutput: gradOutput, unreducedCount: unreducedCount, clamped: clamped,
                difference: difference, squares: squares))
    }

    /// The element-wise sums of a loss-shaped output reduced as the loss is: `rows` (per sample in torch-1.8, per
    /// element for 'none'; empty otherwise) for 'none', else `total` plus each row sum, which is rounded to the
    /// result's dtype before the reduction adds it, divided by the count under 'mean'.
    func reducedLikeTheLoss(rows: [ExactSum<W>], total: ExactSum<W>, unreducedCount: Int) -> ExactTensor {
        let resultType = layout.resultType
        let unreduced = rows.map { $0.element(type: resultType) }
        var total = total
        if !rows.isEmpty && layout.reduction != .none {
            for (row, element) in zip(rows, unreduced) {
                var element = element
                element.overflows =
                    element.overflows || sumMayOverflow(row, accumulatingIn: resultType, roundedTo: resultType)
                total.absorb(element)
            }
        }
        switch layout.reduction {
        case .none:
            return ExactTensor(dtype: resultType, shape: layout.unreducedShape, elements: unreduced)
        case .sum, .mean:
            // 'mean' divides the sum PyTorch forms first, so both may overflow in that sum's accumulation type,
            // with the margin of every other intermediate (a float16 difference rounded up can carry a float64 sum
            // past its range). What the result's own rounding does is the judge's to decide, as before.
            var element = total.element(
                dividedBy: layout.reduction == .mean ? W(unreducedCount) : 1, type: resultType)
            element.overflows =
                element.overflows
                || sumMayOverflow(total, accumulatingIn: resultType, roundedTo: resultType.accumulationType)
            return ExactTensor(dtype: resultType, shape: [], elements: [element])
        }
    }

    /// `input - target` exactly, after a 0-d operand that lost the promotion, or an integral operand beside a
    /// floating one, is converted to the difference's dtype, as PyTorch converts it before subtracting. Zeros
    /// when both are integral: the layout's integer squares stand for the difference then.
    private func differences() -> [W] {
        let count = layout.differenceCount
        guard layout.integerSquares == nil else { return [W](repeating: 0, count: count) }
        let inputIndex = layout.inputIndex
        let targetIndex = layout.targetIndex
        let differenceType = layout.differenceType
        func converted(_ tensor: Tensor, shape: Shape) -> [Double] {
            let converts = tensor.dtype != differenceType && (shape.rank == 0 || !tensor.dtype.isFloatingPoint)
            return converts ? tensor.values.map(differenceType.round) : tensor.values
        }
        let inputValues = converted(call.input, shape: layout.inputShape)
        let targetValues = converted(call.target, shape: layout.targetShape)
        return (0..<count).map { W(inputValues[inputIndex[$0]]) - W(targetValues[targetIndex[$0]]) }
    }
}
