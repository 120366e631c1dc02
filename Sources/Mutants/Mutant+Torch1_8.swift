internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of torch-1.8's per-sample loss does.
    func evaluateTorch1_8(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .elementwiseNoneIn1_8:
            return elementwiseNone(call, profile: profile, reference: reference)

        case .targetBroadcastIn1_8:
            guard profile == .torch1_8, reference.rejection?.kind == .targetSize,
                case .success = Shape.broadcast(call.input.shape, call.target.shape)
            else { return reference }
            var relaxed = call
            relaxed.gradOutput = nil
            return Reference.evaluate(relaxed, profile: .torch1_9)

        default:
            wrongFamily(.torch1_8)
        }
    }

    /// torch-1.8 with an element-wise 'none': the `(N, -1)` views evaluated as torch 1.9 would.
    private func elementwiseNone(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        guard profile == .torch1_8, call.reduction == "none", reference.result != nil,
            let variance = call.variance.tensor, let rows = call.input.shape.dims.first, rows > 0
        else { return reference }
        let width = call.input.elementCount / rows
        guard let input = try? call.input.reshaped([rows, width]),
            let target = try? call.target.reshaped([rows, width]),
            let viewed = try? variance.reshaped([rows, variance.elementCount / rows])
        else { return reference }
        var elementwise = call.with(input: input, target: target, variance: .tensor(viewed))
        elementwise.gradOutput = call.gradOutput.map { gradient in
            makeTensor(gradient.dtype, [rows, width], gradient.values.flatMap { Array(repeating: $0, count: width) })
        }
        var outcome = Reference.evaluate(elementwise, profile: .torch1_9)
        if var result = outcome.result, let gradients = result.gradients {
            result.gradients = Gradients(
                input: gradients.input.map { (try? $0.reshaped(call.input.shape)) ?? $0 },
                target: gradients.target.map { (try? $0.reshaped(call.target.shape)) ?? $0 },
                variance: gradients.variance.map { (try? $0.reshaped(variance.shape)) ?? $0 })
            outcome = .success(result)
        }
        return outcome
    }
}
