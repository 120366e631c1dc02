/// The reference `gaussian_nll_loss`: PyTorch's semantics for a profile, evaluated in the working dtype
/// op by op, in the order PyTorch's function and its autograd take.
///
/// This is what a user compares with PyTorch's output. The exact values that accuracy is judged
/// against come from ``Oracle``.
///
/// ```swift
/// let input = try Tensor(dtype: .float32, shape: [2], values: [0, 1])
/// let target = try Tensor(dtype: .float32, shape: [2], values: [0.5, 1])
/// let variance = try Tensor(dtype: .float32, shape: [2], values: [1, 2])
/// let outcome = Reference.evaluate(LossCase(input: input, target: target, variance: .tensor(variance)))
/// ```
public enum Reference {
    /// Evaluates a call under a profile: the loss and, when `grad_output` is given, the gradients.
    ///
    /// Calls that ``FusedKernel`` covers (one dtype, float32 or float64, and the shapes it knows) run
    /// there, in one pass, with the same values bit for bit as the op-by-op evaluation (a NaN may
    /// differ in sign or payload, which ``Tensor/isBitwiseIdentical(to:)`` ignores).
    public static func evaluate(_ call: LossCase, profile: Profile = .current) -> LossOutcome {
        switch CallLayout.resolve(call, profile: profile) {
        case .failure(let rejection):
            return .rejection(rejection)
        case .success(let layout):
            if call.higherOrder == nil, layout.elementCount >= FusedReference.minimumElements,
                let outcome = FusedReference.evaluate(call, layout: layout)
            {
                return outcome
            }
            return Evaluation(call: call, layout: layout).run()
        }
    }

    /// The op-by-op evaluation alone, never the fused kernel: what the fused kernel is tested against.
    static func evaluateOpByOp(_ call: LossCase, profile: Profile = .current) -> LossOutcome {
        switch CallLayout.resolve(call, profile: profile) {
        case .failure(let rejection):
            return .rejection(rejection)
        case .success(let layout):
            return Evaluation(call: call, layout: layout).run()
        }
    }
}

/// The shape and dtype grad_output must have: the loss's.
func checkGradOutput(_ gradOutput: Tensor, lossShape: Shape, lossType: DType) -> Rejection? {
    guard gradOutput.shape != lossShape || gradOutput.dtype != lossType else { return nil }
    return Rejection(
        kind: .unsupported, exceptionType: "ValueError",
        message: "grad_output must have the loss's shape \(lossShape) and dtype \(lossType), "
            + "not \(gradOutput.shape) and \(gradOutput.dtype)")
}

/// One dtype evaluation of a resolved call.
struct Evaluation {
    let call: LossCase
    let layout: CallLayout
    let differenceIndex: BroadcastIndex
    let varianceIndex: BroadcastIndex

    init(call: LossCase, layout: CallLayout) {
        self.call = call
        self.layout = layout
        differenceIndex = layout.differenceIndex
        varianceIndex = layout.varianceIndex
    }

    func run() -> LossOutcome {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType

        // var.clone().clamp_(min=eps), in var's dtype.
        let floor = varianceType.round(call.eps)
        let clamped = layout.varianceValues.map { layout.clamp($0, floor: floor) }
        let logVariance = clamped.map(varianceType.logarithm)

        // input - target, then ** 2, on the broadcast of input and target (done in an integer type when
        // both are integral, which the layout has done).
        let difference = layout.integerSquares == nil ? differences() : []
        let squared = layout.integerSquares ?? difference.map { differenceType.multiply($0, $0) }

        // 0.5 * (log(var) + d² / var), element-wise.
        let divide = layout.divideByVariance
        var elementLoss = [Double](repeating: 0, count: layout.elementCount)
        var ratio = [Double](repeating: 0, count: layout.elementCount)
        for position in 0..<layout.elementCount {
            let variance = clamped[varianceIndex[position]]
            ratio[position] = divide(squared[differenceIndex[position]], variance)
            let sum = resultType.add(logVariance[varianceIndex[position]], ratio[position])
            elementLoss[position] = resultType.multiplyScalar(sum, 0.5)
        }

        // torch-1.8 sums each sample's row; full adds its constant afterwards, once per sample.
        var unreduced: [Double]
        if layout.profile.sumsPerSample {
            unreduced = rowSums(elementLoss)
            if call.full {
                let constant = 0.5 * Double(layout.rowWidth) * logTwoPi
                unreduced = unreduced.map { resultType.addScalar($0, constant) }
            }
        } else {
            unreduced = elementLoss
            if call.full { unreduced = unreduced.map { resultType.addScalar($0, halfLogTwoPi) } }
        }

        let loss: Tensor
        switch layout.reduction {
        case .none:
            loss = Tensor(uncheckedDType: resultType, shape: layout.unreducedShape, values: unreduced)
        case .sum:
            let total = unreduced.withUnsafeBufferPointer { resultType.sum($0) }
            loss = Tensor(uncheckedDType: resultType, shape: [], values: [total])
        case .mean:
            let total = unreduced.withUnsafeBufferPointer { resultType.accumulate($0) }
            let mean = resultType.round(resultType.accumulationType.divideScalar(total, Double(unreduced.count)))
            loss = Tensor(uncheckedDType: resultType, shape: [], values: [mean])
        }

        if let problem = call.higherOrderProblem {
            return .rejection(Rejection(kind: .unsupported, exceptionType: "ValueError", message: problem))
        }
        guard let gradOutput = call.gradOutput else { return .success(LossResult(loss: loss)) }
        if let rejection = checkGradOutput(gradOutput, lossShape: loss.shape, lossType: resultType) {
            return .rejection(rejection)
        }
        let gradients = backward(
            gradOutput: gradOutput, unreducedCount: unreduced.count, clamped: clamped, squared: squared,
            difference: difference)
        guard let request = call.higherOrder else { return .success(LossResult(loss: loss, gradients: gradients)) }
        let state = HigherOrderState(
            gradOutput: gradOutput, unreducedCount: unreduced.count, clamped: clamped, squared: squared,
            difference: difference)
        return .success(
            LossResult(
                loss: loss, gradients: gradients, hvp: request.hvp ? hessianVectorProduct(request, state) : nil,
                jvp: request.jvp ? forwardDerivative(request, state) : nil))
    }

    /// `input - target` on their broadcast shape, in the promoted dtype.
    private func differences() -> [Double] {
        let count = layout.differenceCount
        let inputIndex = layout.inputIndex
        let targetIndex = layout.targetIndex
        let inputValues = call.input.values
        let targetValues = call.target.values
        return (0..<count).map {
            layout.differenceType.subtract(inputValues[inputIndex[$0]], targetValues[targetIndex[$0]])
        }
    }

    /// `.view(N, -1).sum(dim=1)` of torch-1.8.
    private func rowSums(_ values: [Double]) -> [Double] {
        let width = layout.rowWidth
        let rows = layout.unreducedShape.dims[0]
        return values.withUnsafeBufferPointer { buffer in
            (0..<rows).map { row in
                layout.resultType.sum(UnsafeBufferPointer(rebasing: buffer[row * width..<(row + 1) * width]))
            }
        }
    }

    /// The backward pass in autograd's order; each gradient is summed to its operand's shape in the
    /// dtype it flows in, then cast to the operand's dtype.
    private func backward(
        gradOutput: Tensor, unreducedCount: Int, clamped: [Double], squared: [Double], difference: [Double]
    ) -> Gradients {
        let resultType = layout.resultType
        let differenceType = layout.differenceType
        let varianceType = layout.varianceType

        // Gradient of each unreduced loss element.
        let unreducedGradient: (Int) -> Double
        switch layout.reduction {
        case .none:
            let values = gradOutput.values
            unreducedGradient = { values[$0] }
        case .sum:
            let value = gradOutput.values[0]
            unreducedGradient = { _ in value }
        case .mean:
            let value = resultType.divideScalar(gradOutput.values[0], Double(unreducedCount))
            unreducedGradient = { _ in value }
        }
        let width = layout.rowWidth

        // Through `0.5 * (...)`, then the two branches of the sum.
        var halfGradient = [Double](repeating: 0, count: layout.elementCount)
        var squaredGradient = [Double](repeating: 0, count: layout.elementCount)
        var divisionVarianceGradient = [Double](repeating: 0, count: layout.elementCount)
        let divide = layout.divideByVariance
        for position in 0..<layout.elementCount {
            let gradient = resultType.multiplyScalar(unreducedGradient(position / width), 0.5)
            let variance = clamped[varianceIndex[position]]
            halfGradient[position] = gradient
            squaredGradient[position] = divide(gradient, variance)
            let ratio = divide(squared[differenceIndex[position]], variance)
            divisionVarianceGradient[position] = resultType.multiply(-gradient, divide(ratio, variance))
        }

        // var: log's backward, grad / var, plus the division's, accumulated in var's dtype.
        let varianceCount = clamped.count
        let logGradient = sumToOperand(
            halfGradient, index: varianceIndex, operandCount: varianceCount, type: resultType)
        let divisionGradient = sumToOperand(
            divisionVarianceGradient, index: varianceIndex, operandCount: varianceCount, type: resultType)
        let varianceGradient = (0..<varianceCount).map { position in
            varianceType.add(
                varianceType.divide(varianceType.round(logGradient[position]), clamped[position]),
                varianceType.round(divisionGradient[position]))
        }

        let wanted = call.gradientOperands
        var variance: Tensor?
        if wanted.variance, let original = call.variance.tensor {
            variance = Tensor(uncheckedDType: original.dtype, shape: original.shape, values: varianceGradient)
        }
        guard wanted.input || wanted.target else { return Gradients(input: nil, target: nil, variance: variance) }

        // d² = d ** 2: grad · (2 · d), on the difference's shape.
        let squaredSum = sumToOperand(
            squaredGradient, index: differenceIndex, operandCount: difference.count, type: resultType)
        let differenceGradient = (0..<difference.count).map { position in
            differenceType.multiply(
                differenceType.round(squaredSum[position]), differenceType.multiplyScalar(difference[position], 2))
        }

        let (input, target) = throughSubtraction(differenceGradient, wanted: wanted)
        return Gradients(input: input, target: target, variance: variance)
    }

    /// `input - target`'s backward for values on the difference's shape: +value to input, −value to target
    /// (negated element by element, then summed from +0.0, so an exactly cancelling broadcast sum is +0.0), each
    /// summed to its operand's shape in the difference's dtype and cast to the operand's dtype; only for the
    /// operands in `wanted`.
    func throughSubtraction(_ values: [Double], wanted: RequiresGrad) -> (input: Tensor?, target: Tensor?) {
        func summed(_ values: [Double], to operand: Tensor, index: BroadcastIndex) -> Tensor {
            let sums = sumToOperand(
                values, index: index, operandCount: operand.elementCount, type: layout.differenceType)
            return Tensor(uncheckedDType: operand.dtype, shape: operand.shape, values: sums.map(operand.dtype.round))
        }
        return (
            wanted.input ? summed(values, to: call.input, index: layout.inputIndex) : nil,
            wanted.target ? summed(values.map { -$0 }, to: call.target, index: layout.targetIndex) : nil
        )
    }
}
