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
            let probe = rangeCheck()
            let halfOverV = half / v
            let halfOverV2 = halfOverV / v
            // The parts, formed as PyTorch's graph forms them: the difference gets Ḋ·(Σ(g·0.5)/v)·2 and
            // (((v̇·(−g·0.5))/v)/v)·2d; var gets −(Ḋ·2d)·(((g·0.5)/v)/v), −v̇·(((g·0.5)/v)/v), and the two parts of
            // the division's −(g·0.5)·((d²/v)/v).
            var first: W = 0
            var second: W = 0
            var fromDifference: W = 0
            var fromLog: W = 0
            var fromQuotient: W = 0
            var fromRatio: W = 0
            var productBar: W = 0
            var ratio: W = 0
            var quotient: W = 0
            var wBar: W = 0
            var ratioBar: W = 0
            var vDot: W = 0
            if let differenceDot {
                let dot = differenceDot[differenceOffset]
                first = dot * halfOverV * 2
                productBar = dot * (2 * d)
                fromDifference = -productBar * halfOverV2
            }
            if let varianceDot {
                vDot = varianceDot[varianceOffset]
                ratio = squared / v
                quotient = ratio / v
                wBar = vDot * -half
                ratioBar = wBar / v
                fromLog = -vDot * halfOverV2
                fromQuotient = -wBar * (quotient / v)
                fromRatio = -ratioBar * quotient
                if layout.integerSquares == nil { second = (ratioBar / v) * (2 * d) }
            }
            var differenceTerms = [W]()
            if differenceDot != nil { differenceTerms.append(first) }
            if varianceDot != nil && layout.integerSquares == nil { differenceTerms.append(second) }
            var varianceTerms = [W]()
            if differenceDot != nil { varianceTerms.append(fromDifference) }
            if varianceDot != nil { varianceTerms += [fromLog, fromQuotient, fromRatio] }
            let differenceScale = differenceTerms.reduce(0) { $0 + abs($1) }
            let varianceScale = varianceTerms.reduce(0) { $0 + abs($1) }

            // Each intermediate, with the parts of each output that depend on it.
            var differenceRange = rangeCheck()
            var varianceRange = rangeCheck()
            func note(_ x: W, _ type: DType, difference: W, variance: W) {
                differenceRange.note(x, type, term: difference)
                varianceRange.note(x, type, term: variance)
            }
            if meanGradientRounds {
                note(gradient, resultType, difference: differenceScale, variance: varianceScale)
            }
            note(half, resultType, difference: differenceScale, variance: varianceScale)
            differenceRange.noteDivisor(v, divisorType, term: differenceScale)
            varianceRange.noteDivisor(v, divisorType, term: varianceScale)
            if layout.integerSquares == nil {
                note(
                    d, differenceType, difference: abs(second),
                    variance: abs(fromDifference) + 2 * (abs(fromQuotient) + abs(fromRatio)))
            }
            note(halfOverV, resultType, difference: abs(first), variance: abs(fromDifference) + abs(fromLog))
            note(halfOverV2, resultType, difference: 0, variance: abs(fromDifference) + abs(fromLog))
            for x in [half, halfOverV, halfOverV2] { varianceRange.note(x, varianceType, term: abs(fromLog)) }
            for type in [resultType, divisorType] {
                let halfMayBeZero = probe.mayBeZero(half, type)
                differenceRange.noteQuotient(numeratorMayBeZero: halfMayBeZero, v, type)
                varianceRange.noteQuotient(numeratorMayBeZero: halfMayBeZero, v, type)
            }
            if let differenceDot {
                differenceRange.note(halfOverV, differenceType, term: abs(first))
                differenceRange.note(differenceDot[differenceOffset] * halfOverV, differenceType, term: abs(first))
                varianceRange.note(productBar, differenceType, term: abs(fromDifference))
                varianceRange.noteProduct(
                    mayBeZero: probe.mayBeZero(productBar, differenceType), halfOverV2, resultType)
                varianceRange.noteProduct(
                    mayBeZero: probe.mayBeZero(halfOverV2, resultType), productBar, differenceType)
            }
            if varianceDot != nil {
                let dependent = abs(fromQuotient) + abs(fromRatio)
                note(squared, differenceType, difference: 0, variance: 2 * dependent)
                note(squared, resultType, difference: 0, variance: 2 * dependent)
                note(ratio, resultType, difference: 0, variance: dependent)
                note(quotient, resultType, difference: 0, variance: dependent)
                note(quotient / v, resultType, difference: 0, variance: abs(fromQuotient))
                note(wBar, resultType, difference: abs(second), variance: dependent)
                note(ratioBar, resultType, difference: abs(second), variance: abs(fromRatio))
                differenceRange.note(ratioBar / v, resultType, term: abs(second))
                differenceRange.note(ratioBar / v, differenceType, term: abs(second))
                varianceRange.noteQuotient(
                    numeratorMayBeZero: probe.mayBeZero(squared, resultType), v, divisorType)
                varianceRange.noteProduct(mayBeZero: probe.mayBeZero(wBar, resultType), quotient / v, resultType)
                varianceRange.noteProduct(mayBeZero: probe.mayBeZero(ratioBar, resultType), quotient, resultType)
                varianceRange.noteProduct(mayBeZero: vDot == 0, halfOverV2, varianceType)
                differenceRange.noteProduct(
                    mayBeZero: probe.mayBeZero(ratioBar / v, differenceType), 2 * d, differenceType)
            }
            if !differenceTerms.isEmpty {
                let value = differenceTerms.reduce(0, +)
                for term in differenceTerms { differenceRange.noteFinal(term, differenceType) }
                differenceRange.noteFinal(value, differenceType)
                differenceSums[differenceOffset].add(
                    value, scale: differenceScale, slack: differenceRange.slack, overflows: differenceRange.overflows)
            }
            if !varianceTerms.isEmpty {
                let value = varianceTerms.reduce(0, +)
                for term in varianceTerms {
                    varianceRange.noteFinal(term, resultType)
                    varianceRange.noteFinal(term, varianceType)
                }
                varianceRange.noteFinal(value, varianceType)
                varianceSums[varianceOffset].add(
                    value, scale: varianceScale, slack: varianceRange.slack, overflows: varianceRange.overflows)
                // The parts are summed separately, so each counts towards the accumulation error.
                varianceSums[varianceOffset].magnitude += varianceScale - (value.isFinite ? abs(value) : 0)
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
        let (input, target) = throughSubtraction(differenceElements, wanted: wanted)
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
            let probe = rangeCheck()
            // The parts: (ḋ·2d)/v·0.5, −(v̇'·(d²/v))/v·0.5 and (v̇'/v)·0.5.
            var squaredDot: W = 0
            var product: W = 0
            var ratio: W = 0
            var logDot: W = 0
            var terms = [W]()
            if let differenceDot {
                squaredDot = differenceDot[differenceOffset] * (2 * difference[differenceOffset])
                terms.append(squaredDot / v / 2)
            }
            if let passed {
                ratio = squares[differenceOffset] / v
                product = passed[varianceOffset] * ratio
                logDot = passed[varianceOffset] / v
                terms += [-product / v / 2, logDot / 2]
            }
            let numerator = squaredDot - product
            let squaredPart = differenceDot == nil ? 0 : abs(terms[0])
            let productPart = passed == nil ? 0 : abs(terms[terms.count - 2])
            let logPart = passed == nil ? 0 : abs(terms[terms.count - 1])
            var range = rangeCheck()
            range.noteDivisor(v, divisorType, term: squaredPart + productPart)
            range.noteDivisor(v, varianceType, term: logPart)
            if differenceDot != nil {
                range.note(differenceDot?[differenceOffset] ?? 0, differenceType, term: squaredPart)
                if layout.integerSquares == nil {
                    range.note(difference[differenceOffset], differenceType, term: squaredPart + 2 * productPart)
                }
                range.note(squaredDot, differenceType, term: squaredPart)
                range.note(squaredDot, resultType, term: squaredPart)
            }
            if let passed {
                range.note(squares[differenceOffset], resultType, term: 2 * productPart)
                range.note(ratio, resultType, term: productPart)
                range.note(product, resultType, term: productPart)
                range.noteProduct(mayBeZero: passed[varianceOffset] == 0, ratio, resultType)
                range.noteProduct(mayBeZero: probe.mayBeZero(ratio, resultType), passed[varianceOffset], varianceType)
                range.note(logDot, varianceType, term: logPart)
                range.noteQuotient(
                    numeratorMayBeZero: probe.mayBeZero(squares[differenceOffset], resultType), v, divisorType)
                range.noteQuotient(numeratorMayBeZero: passed[varianceOffset] == 0, v, varianceType)
            }
            range.note(numerator, resultType, term: squaredPart + productPart)
            range.note(numerator / v, resultType, term: squaredPart + productPart)
            range.noteQuotient(numeratorMayBeZero: probe.mayBeZero(numerator, resultType), v, divisorType)
            range.noteFinal(numerator / v + logDot, resultType)
            let value = terms.reduce(0, +)
            range.noteFinal(value, resultType)
            var scale = terms.reduce(0) { $0 + abs($1) }
            var slack = range.slack
            if layout.profile.forwardTangentAtEpsVaries, let varianceDot, floor.isFinite,
                layout.varianceValues[varianceOffset] == floor
            {
                // Releases of this profile differ at var = eps (2.10 to 2.13 keep var's tangent, 2.14 on drop it):
                // the kept tangent's terms widen the bound, so that either answer conforms.
                let dot = varianceDot[varianceOffset]
                let productTerm = dot * (squares[differenceOffset] / v) / v / 2
                let logTerm = dot / v / 2
                if (logTerm - productTerm).isFinite {
                    slack += abs(logTerm - productTerm)
                    scale += abs(productTerm) + abs(logTerm)
                }
            }
            if keepsRows {
                rows[position / width].add(value, scale: scale, slack: slack, overflows: range.overflows)
            } else {
                total.add(value, scale: scale, slack: slack, overflows: range.overflows)
            }
        }
        return reducedLikeTheLoss(rows: rows, total: total, unreducedCount: unreducedCount)
    }
}
