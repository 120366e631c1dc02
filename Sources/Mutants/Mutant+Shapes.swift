internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of var's shape rule or of broadcasting does.
    func evaluateShapes(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .missingSameRankRule:
            return Reference.evaluate(call, profile: profile == .torch2_10 ? .torch2_6 : profile)

        case .sameRankRuleBackported:
            return Reference.evaluate(call, profile: profile == .torch2_6 ? .torch2_10 : profile)

        case .numpyBroadcastVariance:
            return numpyBroadcast(call, profile: profile, reference: reference)

        case .varianceReshaped:
            guard !profile.sumsPerSample, reference.rejection?.kind == .varSize, let variance = call.variance.tensor
            else { return reference }
            let input = call.input.shape
            let last = input.dims.last ?? 0
            let shape: Shape
            if variance.elementCount == call.input.elementCount {
                shape = input
            } else if last > 0 && variance.elementCount * last == call.input.elementCount {
                shape = input.droppingLast.appendingUnitAxis
            } else {
                return reference
            }
            return evaluateReshaped(call, variance: variance, as: shape, profile: profile)

        case .zeroDimensionalVarianceBroadcast:
            guard !profile.sumsPerSample, reference.rejection?.kind == .varSize, let variance = call.variance.tensor,
                variance.shape.rank == 0
            else { return reference }
            let filled = makeTensor(
                variance.dtype, call.input.shape, Array(repeating: variance.values[0], count: call.input.elementCount))
            var outcome = Reference.evaluate(call.with(variance: .tensor(filled)), profile: profile)
            if var result = outcome.result, let gradient = result.gradients?.variance {
                result.gradients?.variance = makeTensor(variance.dtype, [], [gradient.values.reduce(0, +)])
                outcome = .success(result)
            }
            return outcome

        case .exactShapesOnly:
            if let variance = call.variance.tensor, variance.shape != call.input.shape {
                return .rejection(.varSize)
            }
            if call.target.shape != call.input.shape {
                return .rejection(
                    profile.sumsPerSample
                        ? .targetSize
                        : Rejection(
                            kind: .broadcast, exceptionType: "RuntimeError",
                            message: "target shape \(call.target.shape) does not match input shape \(call.input.shape)")
                )
            }
            return reference

        default:
            wrongFamily(.shapes)
        }
    }

    /// NumPy alignment of a var of shape `input.shape[:-1]`: from the right, so per column on square inputs.
    private func numpyBroadcast(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        let input = call.input.shape
        guard !profile.sumsPerSample, let variance = call.variance.tensor, input.rank >= 1,
            variance.shape == input.droppingLast, variance.shape != input
        else { return reference }
        switch Shape.broadcast(input, variance.shape) {
        case .failure(let mismatch):
            return .rejection(.broadcast(mismatch))
        case .success(let shape) where shape != input:
            return .rejection(
                Rejection(
                    kind: .broadcast, exceptionType: "RuntimeError",
                    message: "var of shape \(variance.shape) broadcasts input \(input) to \(shape)"))
        case .success:
            let index = BroadcastIndex(operand: variance.shape, result: input, resultCount: call.input.elementCount)
            let offsets = (0..<call.input.elementCount).map { index[$0] }
            let expanded = makeTensor(variance.dtype, input, offsets.map { variance.values[$0] })
            var outcome = Reference.evaluate(call.with(variance: .tensor(expanded)), profile: profile)
            if var result = outcome.result, let gradient = result.gradients?.variance {
                var sums = [Double](repeating: 0, count: variance.elementCount)
                for (position, offset) in offsets.enumerated() { sums[offset] += gradient.values[position] }
                result.gradients?.variance = makeTensor(variance.dtype, variance.shape, sums)
                outcome = .success(result)
            }
            return outcome
        }
    }

    /// Evaluates with var reshaped, and reshapes its gradient back.
    private func evaluateReshaped(
        _ call: LossCase, variance: Tensor, as shape: Shape, profile: Profile
    )
        -> LossOutcome
    {
        guard let reshaped = try? variance.reshaped(shape) else { return Reference.evaluate(call, profile: profile) }
        var outcome = Reference.evaluate(call.with(variance: .tensor(reshaped)), profile: profile)
        if var result = outcome.result, let gradient = result.gradients?.variance,
            let back = try? gradient.reshaped(variance.shape)
        {
            result.gradients?.variance = back
            outcome = .success(result)
        }
        return outcome
    }
}
