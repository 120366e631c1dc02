// The oracle's exact Hessian-vector products and forward-mode derivatives, with the error bookkeeping of each
// element. The terms are formed in PyTorch's structure in the wide type, so that 0·∞ and 0/0 give NaN where
// PyTorch's do; their error scale is the sum of their absolute values.

extension OracleEvaluation {
    /// The per-element gradient g (grad_output's share, divided by the count under 'mean').
    private func elementGradients(gradOutput: Tensor, unreducedCount: Int) -> (Int) -> W {
        let width = layout.rowWidth
        switch layout.reduction {
        case .none:
            let values = gradOutput.values
            return { W(values[$0 / width]) }
        case .sum:
            let value = W(gradOutput.values[0])
            return { _ in value }
        case .mean:
            let value = W(gradOutput.values[0]) / W(unreducedCount)
            return { _ in value }
        }
    }

    /// The tangent of `input − target` on the difference's shape (each tangent converted to the difference's
    /// dtype), or `nil` when neither input nor target has one.
    private func differenceTangent(_ request: HigherOrderRequest) -> [W]? {
        let wanted = call.gradientOperands
        let input = wanted.input ? request.tangents.input : nil
        let target = wanted.target ? request.tangents.target : nil
        guard input != nil || target != nil else { return nil }
        let type = layout.differenceType
        let inputIndex = layout.inputIndex
        let targetIndex = layout.targetIndex
        return (0..<layout.differenceCount).map { position in
            let a = input.map { W(type.round($0.values[inputIndex[position]])) } ?? 0
            let b = target.map { W(type.round($0.values[targetIndex[position]])) } ?? 0
            return a - b
        }
    }

    /// The exact hvp and jvp a request asks for.
    func higherOrder(
        _ request: HigherOrderRequest, gradOutput: Tensor, unreducedCount: Int, clamped: [W], difference: [W],
        squares: [W]
    ) -> ExactHigherOrder {
        let gradientOf = elementGradients(gradOutput: gradOutput, unreducedCount: unreducedCount)
        let differenceDot = differenceTangent(request)
        let varianceDot: [W]? =
            call.gradientOperands.variance ? request.tangents.variance.map { $0.values.map { W($0) } } : nil
        let hvp =
            request.hvp
            ? hessianVectorProduct(
                gradientOf: gradientOf, differenceDot: differenceDot, varianceDot: varianceDot, clamped: clamped,
                difference: difference, squares: squares) : nil
        let jvp =
            request.jvp
            ? forwardDerivative(
                differenceDot: differenceDot, varianceDot: varianceDot, clamped: clamped, difference: difference,
                squares: squares, unreducedCount: unreducedCount) : nil
        return ExactHigherOrder(hvp: hvp, jvp: jvp)
    }

    /// Per loss element: the difference gets g·(Ḋ/v − d·v̇/v²), var g·(−d·Ḋ/v² + (d²/v³ − 1/(2v²))·v̇), each
    /// summed to its operand's shape.
    private func hessianVectorProduct(
        gradientOf: (Int) -> W, differenceDot: [W]?, varianceDot: [W]?, clamped: [W], difference: [W], squares: [W]
    ) -> ExactGradients {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType
        let meanGradientRounds = layout.reduction == .mean
        var differenceSums = [ExactSum<W>](repeating: ExactSum(), count: layout.differenceCount)
        var varianceSums = [ExactSum<W>](repeating: ExactSum(), count: clamped.count)
        for position in 0..<layout.elementCount {
            let varianceOffset = varianceIndex[position]
            let differenceOffset = differenceIndex[position]
            let v = clamped[varianceOffset]
            let gradient = gradientOf(position)
            let half = gradient / 2
            let d = layout.integerSquares == nil ? difference[differenceOffset] : 0
            let squared = squares[differenceOffset]
            var range = rangeCheck()
            let probe = rangeCheck()
            if meanGradientRounds { range.note(gradient, resultType, term: 0) }
            range.note(half, resultType, term: 0)
            range.noteDivisor(v, divisorType, term: 0)
            let halfOverV = half / v
            let halfOverV2 = halfOverV / v
            range.note(halfOverV, resultType, term: 0)
            range.note(halfOverV2, resultType, term: 0)
            range.noteQuotient(numeratorMayBeZero: probe.mayBeZero(half, resultType), v, divisorType)

            // The difference's part: Ḋ·(Σ(g·0.5)/v)·2 and (Y's bar / v)·2d.
            var differenceTerms = [W]()
            // var's parts: −Ḋ·2d·(((g·0.5)/v)/v), −v̇·(((g·0.5)/v)/v), and the two from W = (d²/v)/v.
            var varianceTerms = [W]()
            if let differenceDot {
                let dot = differenceDot[differenceOffset]
                let first = dot * halfOverV * 2
                differenceTerms.append(first)
                range.note(dot * halfOverV, differenceType, term: first)
                let productBar = dot * (2 * d)
                range.note(productBar, differenceType, term: 0)
                range.noteProduct(mayBeZero: probe.mayBeZero(productBar, differenceType), halfOverV2, resultType)
                varianceTerms.append(-productBar * halfOverV2)
            }
            if let varianceDot {
                let vDot = varianceDot[varianceOffset]
                let ratio = squared / v
                let quotient = ratio / v
                let wBar = vDot * -half
                let ratioBar = wBar / v
                range.note(ratio, resultType, term: 0)
                range.note(quotient, resultType, term: 0)
                range.note(quotient / v, resultType, term: 0)
                range.note(wBar, resultType, term: 0)
                range.note(ratioBar, resultType, term: 0)
                range.note(ratioBar / v, resultType, term: 0)
                range.noteProduct(mayBeZero: probe.mayBeZero(wBar, resultType), quotient / v, resultType)
                range.noteProduct(mayBeZero: probe.mayBeZero(ratioBar, resultType), quotient, resultType)
                range.noteProduct(mayBeZero: vDot == 0, halfOverV2, varianceType)
                varianceTerms.append(-vDot * halfOverV2)
                varianceTerms.append(-wBar * (quotient / v))
                varianceTerms.append(-ratioBar * quotient)
                if layout.integerSquares == nil {
                    let second = (ratioBar / v) * (2 * d)
                    range.note(ratioBar / v, differenceType, term: second)
                    range.noteProduct(mayBeZero: probe.mayBeZero(ratioBar / v, differenceType), 2 * d, differenceType)
                    differenceTerms.append(second)
                }
            }
            if !differenceTerms.isEmpty {
                var differenceRange = range
                let value = differenceTerms.reduce(0, +)
                differenceRange.noteFinal(value, differenceType)
                differenceSums[differenceOffset].add(
                    value, scale: differenceTerms.reduce(0) { $0 + abs($1) }, slack: differenceRange.slack,
                    overflows: differenceRange.overflows)
            }
            if !varianceTerms.isEmpty {
                var varianceRange = range
                let value = varianceTerms.reduce(0, +)
                for term in varianceTerms { varianceRange.noteFinal(term, varianceType) }
                varianceRange.noteFinal(value, varianceType)
                varianceSums[varianceOffset].add(
                    value, scale: varianceTerms.reduce(0) { $0 + abs($1) }, slack: varianceRange.slack,
                    overflows: varianceRange.overflows)
                // The parts are summed separately, so each counts towards the accumulation error.
                varianceSums[varianceOffset].magnitude +=
                    varianceTerms.reduce(0) { $0 + abs($1) } - (value.isFinite ? abs(value) : 0)
            }
        }
        let wanted = call.gradientOperands
        var variance: ExactTensor?
        if wanted.variance, let original = call.variance.tensor {
            if let varianceDot {
                for offset in clamped.indices where varianceSums[offset].summands == 0 {
                    // Nothing reads this var element: log's part is still −v̇·((0/v)/v).
                    varianceSums[offset].add(
                        -varianceDot[offset] * ((0 / clamped[offset]) / clamped[offset]), scale: 0, slack: 0,
                        overflows: false)
                }
            }
            variance = ExactTensor(
                dtype: original.dtype, shape: original.shape,
                elements: varianceSums.map { $0.element(type: varianceType) })
        }
        let differenceElements = differenceSums.map { sum in
            sum.summands == 0
                ? ExactElement(value: 0, errorScale: 0, magnitude: 0, summands: 1, rangeSlack: 0, overflows: false)
                : sum.element(type: differenceType)
        }
        let input =
            wanted.input
            ? reduceToOperand(
                differenceElements, operandShape: layout.inputShape, dtype: call.input.dtype,
                outputShape: call.input.shape, negate: false) : nil
        let target =
            wanted.target
            ? reduceToOperand(
                differenceElements, operandShape: layout.targetShape, dtype: call.target.dtype,
                outputShape: call.target.shape, negate: true) : nil
        return ExactGradients(input: input, target: target, variance: variance)
    }

    /// Per loss element d·ḋ/v + (1/(2v) − d²/(2v²))·v̇', reduced as the loss is; v̇' is var's tangent where var
    /// passes the clamp's forward test, else 0.
    private func forwardDerivative(
        differenceDot: [W]?, varianceDot: [W]?, clamped: [W], difference: [W], squares: [W], unreducedCount: Int
    ) -> ExactTensor {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType
        let floor = varianceType.round(call.eps)
        let keepsEqual = layout.profile.forwardTangentPassesAtEps
        let passed: [W]? = varianceDot.map { dots in
            zip(layout.varianceValues, dots).map { value, dot in
                (keepsEqual ? value >= floor : value > floor) ? dot : 0
            }
        }
        let width = layout.rowWidth
        let keepsRows = layout.profile.sumsPerSample || layout.reduction == .none
        var rows = [ExactSum<W>](repeating: ExactSum(), count: keepsRows ? unreducedCount : 0)
        var total = ExactSum<W>()
        for position in 0..<layout.elementCount {
            let varianceOffset = varianceIndex[position]
            let differenceOffset = differenceIndex[position]
            let v = clamped[varianceOffset]
            var range = rangeCheck()
            let probe = rangeCheck()
            range.noteDivisor(v, divisorType, term: 0)
            var terms = [W]()
            var numerator: W = 0
            if let differenceDot {
                let d = difference[differenceOffset]
                let squaredDot = differenceDot[differenceOffset] * (2 * d)
                range.note(squaredDot, differenceType, term: squaredDot / v / 2)
                numerator = squaredDot
                terms.append(squaredDot / v / 2)
            }
            if let passed {
                let vDot = passed[varianceOffset]
                let ratio = squares[differenceOffset] / v
                let product = vDot * ratio
                range.note(ratio, resultType, term: 0)
                range.note(product, resultType, term: product / v / 2)
                range.noteProduct(mayBeZero: vDot == 0, ratio, resultType)
                range.note(product / v, resultType, term: 0)
                numerator = numerator - product
                terms.append(-product / v / 2)
                let logDot = vDot / v
                range.note(logDot, varianceType, term: logDot / 2)
                terms.append(logDot / 2)
            }
            range.note(numerator, resultType, term: 0)
            range.note(numerator / v, resultType, term: 0)
            range.noteQuotient(numeratorMayBeZero: probe.mayBeZero(numerator, resultType), v, divisorType)
            let value = terms.reduce(0, +)
            range.noteFinal(value, resultType)
            let scale = terms.reduce(0) { $0 + abs($1) }
            if keepsRows {
                rows[position / width].add(value, scale: scale, slack: range.slack, overflows: range.overflows)
            } else {
                total.add(value, scale: scale, slack: range.slack, overflows: range.overflows)
            }
        }
        let unreduced = rows.map { $0.element(type: resultType) }
        if keepsRows && layout.reduction != .none {
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
            var element = total.element(dividedBy: layout.reduction == .mean ? W(unreducedCount) : 1, type: resultType)
            element.overflows =
                element.overflows
                || sumMayOverflow(total, accumulatingIn: resultType, roundedTo: resultType.accumulationType)
            return ExactTensor(dtype: resultType, shape: [], elements: [element])
        }
    }
}
