internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of the backward pass does.
    func evaluateGradients(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .gradTargetNotNegated:
            guard var result = reference.result, let target = result.gradients?.target else { return reference }
            result.gradients?.target = target.mapped { -$0 }
            return .success(result)

        case .gradOutputIgnored:
            guard let gradOutput = call.gradOutput else { return reference }
            var ones = call
            ones.gradOutput = gradOutput.mapped { _ in 1 }
            return Reference.evaluate(ones, profile: profile)

        case .broadcastVarianceGradientAveraged:
            guard var result = reference.result, let gradient = result.gradients?.variance, gradient.elementCount > 0
            else { return reference }
            let elements =
                profile.sumsPerSample ? call.input.elementCount : (unreducedCount(call, profile: profile) ?? 0)
            let ratio = Double(elements / gradient.elementCount)
            guard ratio > 1 else { return reference }
            result.gradients?.variance = gradient.mapped { $0 / ratio }
            return .success(result)

        case .broadcastTargetGradientAveraged:
            guard var result = reference.result, let gradient = result.gradients?.target, gradient.elementCount > 0,
                case .success(let shape) = Shape.broadcast(call.input.shape, call.target.shape),
                let count = try? shape.elementCount()
            else { return reference }
            let ratio = Double(count / gradient.elementCount)
            guard ratio > 1 else { return reference }
            result.gradients?.target = gradient.mapped { $0 / ratio }
            return .success(result)

        case .missingLogGradient:
            guard var result = reference.result, let gradient = result.gradients?.variance else { return reference }
            let centered = call.with(input: call.input.mapped { _ in 0 }, target: call.target.mapped { _ in 0 })
            guard let logPart = Reference.evaluate(centered, profile: profile).result?.gradients?.variance else {
                return reference
            }
            result.gradients?.variance = gradient.combined(with: logPart) { $0 - $1 }
            return .success(result)

        case .inputGradientDoubledWithoutTargetGrad:
            guard call.wantsGradients, !call.gradientOperands.target, var result = reference.result,
                let input = result.gradients?.input
            else { return reference }
            result.gradients?.input = input.mapped { 2 * $0 }
            return .success(result)

        case .gradientsForEveryOperand:
            guard call.wantsGradients, reference.result != nil else { return reference }
            var every = call
            every.requiresGrad = .all
            return Reference.evaluate(every, profile: profile)

        case .targetGradientSummedThenNegated:
            // The sum of a broadcast gradient that cancels exactly is +0.0; negated, −0.0.
            guard var result = reference.result, let target = result.gradients?.target,
                case .success(let shape) = Shape.broadcast(call.input.shape, call.target.shape),
                shape != call.target.shape
            else { return reference }
            result.gradients?.target = target.with(values: target.values.map { $0 == 0 ? -0.0 : $0 })
            return .success(result)

        default:
            wrongFamily(.gradients)
        }
    }
}
