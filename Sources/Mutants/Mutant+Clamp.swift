internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of the eps clamp does: one that clamps var another way, or differentiates
    /// the clamp another way.
    func evaluateClamp(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .clampDifferentiated:
            guard var result = reference.result, let variance = call.variance.tensor,
                let gradient = result.gradients?.variance
            else { return reference }
            let floor = variance.dtype.round(call.eps)
            result.gradients?.variance = gradient.with(
                values: zip(variance.values, gradient.values).map { $0 < floor ? 0 : $1 })
            return .success(result)

        case .noVarianceGradient:
            guard var result = reference.result, result.gradients != nil else { return reference }
            result.gradients?.variance = nil
            return .success(result)

        case .epsAdded:
            guard !call.variance.hasNegativeEntry else { return reference }
            return Reference.evaluate(call.with(variance: call.variance.map { $0 + call.eps }), profile: profile)

        case .epsIgnored:
            return Reference.evaluate(call.with(eps: LossCase.defaultEps), profile: profile)

        case .nanClampedToEps:
            let floor = (call.variance.tensor?.dtype ?? call.input.dtype).round(call.eps)
            return Reference.evaluate(
                call.with(variance: call.variance.map { $0.isNaN ? floor : $0 }), profile: profile)

        case .backwardUsesUnclampedVariance:
            guard var result = reference.result, result.gradients != nil,
                let unclamped = Reference.evaluate(call.with(eps: -.infinity), profile: profile).result
            else { return reference }
            result.gradients = unclamped.gradients
            return .success(result)

        case .negativeVarianceClamped:
            guard call.variance.hasNegativeEntry else { return reference }
            let floor = (call.variance.tensor?.dtype ?? call.input.dtype).round(call.eps)
            return Reference.evaluate(
                call.with(variance: call.variance.map { $0 < floor ? floor : $0 }), profile: profile)

        case .nanEpsUnclamped:
            guard call.eps.isNaN else { return reference }
            return Reference.evaluate(call.with(eps: -.infinity), profile: profile)

        case .infiniteEpsUnclamped:
            guard call.eps == .infinity else { return reference }
            return Reference.evaluate(call.with(eps: -.infinity), profile: profile)

        default:
            wrongFamily(.clamp)
        }
    }
}
