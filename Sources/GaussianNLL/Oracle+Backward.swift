extension OracleEvaluation {
    /// The exact gradients, each element with its error scale and range bookkeeping, in the order
    /// autograd forms them.
    func backward(
        gradOutput: Tensor, unreducedCount: Int, clamped: [W], difference: [W], squares: [W]
    ) -> ExactGradients {
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
            let squared = squares[differenceOffset]
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

        let wanted = call.gradientOperands
        let (input, target) = throughSubtraction(
            differenceSums.map { $0.element(type: differenceType) }, wanted: wanted)
        var variance: ExactTensor?
        if wanted.variance, let original = call.variance.tensor {
            variance = ExactTensor(
                dtype: original.dtype, shape: original.shape,
                elements: varianceSums.map { $0.element(type: varianceType) })
        }
        return ExactGradients(input: input, target: target, variance: variance)
    }

    /// `input - target`'s backward for elements on the difference's shape: summed to input's shape, and negated
    /// to target's, for the operands in `wanted`.
    func throughSubtraction(
        _ elements: [ExactElement], wanted: RequiresGrad
    ) -> (
        input: ExactTensor?, target: ExactTensor?
    ) {
        let input =
            wanted.input
            ? reduceToOperand(
                elements, operandShape: layout.inputShape, dtype: call.input.dtype, outputShape: call.input.shape,
                negate: false) : nil
        let target =
            wanted.target
            ? reduceToOperand(
                elements, operandShape: layout.targetShape, dtype: call.target.dtype, outputShape: call.target.shape,
                negate: true) : nil
        return (input, target)
    }

    /// Sums difference-shaped gradient elements to an operand's shape (input or target).
    func reduceToOperand(
        _ elements: [ExactElement], operandShape: Shape, dtype: DType, outputShape: Shape, negate: Bool
    ) -> ExactTensor {
        let count = (try? operandShape.elementCount()) ?? 0
        let index = BroadcastIndex(operand: operandShape, result: layout.differenceShape, resultCount: elements.count)
        var sums = [ExactSum<ExactReal>](repeating: ExactSum(), count: count)
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
