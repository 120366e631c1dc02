// The reference's second-order (Hessian-vector product) and forward-mode (jvp) derivatives, op by op in the
// working dtypes, in the order of PyTorch's double-backward graph and of its forward-mode formulas.

/// What the first-order evaluation hands to the higher-order one.
struct HigherOrderState {
    let gradOutput: Tensor
    let unreducedCount: Int
    /// var after the clamp, in var's dtype.
    let clamped: [Double]
    /// `(input − target)²` on the difference's shape.
    let squared: [Double]
    /// `input − target` on the difference's shape (empty when both are integral).
    let difference: [Double]
}

extension Evaluation {
    /// Each loss element's share of grad_output, times 0.5: `(g / n) · 0.5` under 'mean', `g · 0.5` otherwise
    /// (torch-1.8: the row's g), in the result's dtype, as the first-order backward forms it.
    fileprivate func halfGradients(_ state: HigherOrderState) -> [Double] {
        let resultType = layout.resultType
        let width = layout.rowWidth
        let values = state.gradOutput.values
        let scalar: Double? =
            switch layout.reduction {
            case .none: nil
            case .sum: values[0]
            case .mean: resultType.divideScalar(values[0], Double(state.unreducedCount))
            }
        return (0..<layout.elementCount).map { position in
            resultType.multiplyScalar(scalar ?? values[position / width], 0.5)
        }
    }

    /// The tangent of `input − target` on the difference's shape: input's tangent minus target's, in the
    /// difference's dtype, for the operands that have one; `nil` when neither has.
    fileprivate func differenceTangent(_ request: HigherOrderRequest) -> [Double]? {
        let wanted = call.gradientOperands
        let input = wanted.input ? request.tangents.input : nil
        let target = wanted.target ? request.tangents.target : nil
        guard input != nil || target != nil else { return nil }
        let type = layout.differenceType
        let inputIndex = layout.inputIndex
        let targetIndex = layout.targetIndex
        return (0..<layout.differenceCount).map { position in
            let a = input.map { type.round($0.values[inputIndex[position]]) }
            let b = target.map { type.round($0.values[targetIndex[position]]) }
            switch (a, b) {
            case (let a?, let b?): return type.subtract(a, b)
            case (let a?, nil): return a
            case (nil, let b?): return -b
            case (nil, nil): return 0
            }
        }
    }

    /// var's tangent, when var requires grad.
    fileprivate func varianceTangent(_ request: HigherOrderRequest) -> [Double]? {
        guard call.gradientOperands.variance, let tangent = request.tangents.variance else { return nil }
        return tangent.values
    }

    /// `torch.autograd.grad` of the `create_graph` gradients along the tangents: the tangents flow back through
    /// the first-order backward graph (`(g·0.5)/v · 2d` for the difference; `(Σg·0.5)/v` and
    /// `−(g·0.5)·((d²/v)/v)` for var), which reads the clamped var as if the clamp were not there.
    func hessianVectorProduct(_ request: HigherOrderRequest, _ state: HigherOrderState) -> OperandTensors {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType
        let divide = layout.divideByVariance
        let half = halfGradients(state)
        let differenceDot = differenceTangent(request)
        let varianceDot = varianceTangent(request)
        let clamped = state.clamped
        let varianceCount = clamped.count
        let differenceCount = layout.differenceCount
        let twice = state.difference.map { differenceType.multiplyScalar($0, 2) }

        // The first-order gradient of the difference before the product: Σ (g·0.5)/v, cast to its dtype.
        var perElement = [Double](repeating: 0, count: layout.elementCount)
        for position in 0..<layout.elementCount {
            perElement[position] = divide(half[position], clamped[varianceIndex[position]])
        }
        let squaredGradient = sumToOperand(
            perElement, index: differenceIndex, operandCount: differenceCount, type: resultType
        ).map(differenceType.round)

        // Contributions to var's second derivative on the broadcast shape, and to the difference's.
        var fromDifference = [Double](repeating: 0, count: layout.elementCount)
        var fromQuotient = [Double](repeating: 0, count: layout.elementCount)
        var fromRatio = [Double](repeating: 0, count: layout.elementCount)
        var squaredBar = [Double](repeating: 0, count: layout.elementCount)
        for position in 0..<layout.elementCount {
            let v = clamped[varianceIndex[position]]
            let offset = differenceIndex[position]
            if let differenceDot {
                // (g·0.5)/v's backward to v: −(Ḋ·2d) · (((g·0.5)/v)/v).
                let productBar = differenceType.multiply(differenceDot[offset], twice[offset])
                fromDifference[position] = resultType.multiply(-productBar, divide(divide(half[position], v), v))
            }
            if let varianceDot {
                // −(g·0.5)·W with W = Y/v, Y = d²/v: the tangent reaches W, Y and d².
                let vDot = varianceDot[varianceIndex[position]]
                let wBar = resultType.multiply(vDot, -half[position])
                let ratio = divide(state.squared[offset], v)
                let quotient = divide(ratio, v)
                fromQuotient[position] = resultType.multiply(-wBar, divide(quotient, v))
                let ratioBar = divide(wBar, v)
                fromRatio[position] = resultType.multiply(-ratioBar, quotient)
                squaredBar[position] = divide(ratioBar, v)
            }
        }

        let wanted = call.gradientOperands
        var variance: Tensor?
        if wanted.variance, let original = call.variance.tensor {
            // log's backward (Σg·0.5)/v, differentiated along var's tangent: −v̇·(((Σg·0.5)/v)/v), in var's dtype.
            let logSums = sumToOperand(half, index: varianceIndex, operandCount: varianceCount, type: resultType)
                .map(varianceType.round)
            var parts = [[Double]]()
            if let varianceDot {
                parts.append(
                    (0..<varianceCount).map { position in
                        let v = clamped[position]
                        let scaled = varianceType.divide(varianceType.divide(logSums[position], v), v)
                        return varianceType.multiply(-varianceDot[position], scaled)
                    })
            }
            for (terms, present) in [
                (fromDifference, differenceDot != nil), (fromQuotient, varianceDot != nil),
                (fromRatio, varianceDot != nil),
            ] where present {
                parts.append(
                    sumToOperand(terms, index: varianceIndex, operandCount: varianceCount, type: resultType)
                        .map(varianceType.round))
            }
            let values = (0..<varianceCount).map { position in
                parts.dropFirst().reduce(parts.first?[position] ?? 0) { varianceType.add($0, $1[position]) }
            }
            variance = Tensor(uncheckedDType: original.dtype, shape: original.shape, values: values)
        }
        guard wanted.input || wanted.target else { return OperandTensors(input: nil, target: nil, variance: variance) }

        // The difference's second derivative: (Ḋ·Σ(g·0.5)/v)·2 from the product, plus Σ(Y's bar/v)·2d from d².
        let squaredBarSums =
            varianceDot == nil
            ? nil
            : sumToOperand(squaredBar, index: differenceIndex, operandCount: differenceCount, type: resultType)
                .map(differenceType.round)
        let differenceBar = (0..<differenceCount).map { position in
            var parts = [Double]()
            if let differenceDot {
                parts.append(
                    differenceType.multiplyScalar(
                        differenceType.multiply(differenceDot[position], squaredGradient[position]), 2))
            }
            if let squaredBarSums { parts.append(differenceType.multiply(squaredBarSums[position], twice[position])) }
            return parts.dropFirst().reduce(parts.first ?? 0) { differenceType.add($0, $1) }
        }
        let (input, target) = throughSubtraction(differenceBar, wanted: wanted)
        return OperandTensors(input: input, target: target, variance: variance)
    }

    /// `torch.func.jvp`: the loss's forward-mode derivative along the tangents. The clamp passes var's tangent only
    /// where var passes its test (``Profile/forwardTangentPassesAtEps``), and nowhere for a NaN eps.
    func forwardDerivative(_ request: HigherOrderRequest, _ state: HigherOrderState) -> Tensor {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType
        let divide = layout.divideByVariance
        let floor = varianceType.round(call.eps)
        let keepsEqual = layout.profile.forwardTangentPassesAtEps
        let varianceDot = varianceTangent(request).map { tangent in
            zip(layout.varianceValues, tangent).map { value, dot in
                (keepsEqual ? value >= floor : value > floor) ? dot : 0
            }
        }
        let differenceDot = differenceTangent(request)
        let logDot = varianceDot.map { dots in
            zip(dots, state.clamped).map { varianceType.divide($0, $1) }
        }
        let squaredDot = differenceDot.map { dots in
            (0..<dots.count).map { position in
                differenceType.multiply(dots[position], differenceType.multiplyScalar(state.difference[position], 2))
            }
        }
        var elementDot = [Double](repeating: 0, count: layout.elementCount)
        for position in 0..<layout.elementCount {
            let offset = varianceIndex[position]
            let v = state.clamped[offset]
            // (d²)/v: (ṡ − v̇·result)/v.
            var numerator = squaredDot?[differenceIndex[position]] ?? 0
            if let varianceDot {
                let product = resultType.multiply(
                    varianceDot[offset], divide(state.squared[differenceIndex[position]], v))
                numerator = squaredDot == nil ? -product : resultType.subtract(numerator, product)
            }
            var sum = divide(numerator, v)
            if let logDot { sum = resultType.add(logDot[offset], sum) }
            elementDot[position] = resultType.multiplyScalar(sum, 0.5)
        }
        var unreduced = elementDot
        if layout.profile.sumsPerSample {
            let width = layout.rowWidth
            let rows = layout.unreducedShape.dims[0]
            unreduced = elementDot.withUnsafeBufferPointer { buffer in
                (0..<rows).map { row in
                    resultType.sum(UnsafeBufferPointer(rebasing: buffer[row * width..<(row + 1) * width]))
                }
            }
        }
        switch layout.reduction {
        case .none:
            return Tensor(uncheckedDType: resultType, shape: layout.unreducedShape, values: unreduced)
        case .sum:
            let total = unreduced.withUnsafeBufferPointer { resultType.sum($0) }
            return Tensor(uncheckedDType: resultType, shape: [], values: [total])
        case .mean:
            let total = unreduced.withUnsafeBufferPointer { resultType.accumulate($0) }
            let mean = resultType.round(resultType.accumulationType.divideScalar(total, Double(unreduced.count)))
            return Tensor(uncheckedDType: resultType, shape: [], values: [mean])
        }
    }
}
