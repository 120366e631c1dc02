internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of the second-order or forward-mode derivatives does; the loss and the
    /// gradients are the reference's.
    func evaluateHigherOrder(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        guard let request = call.higherOrder, var result = reference.result else { return reference }
        let tangents = request.tangents
        switch self {
        case .hvpClampDifferentiated:
            // Below eps, var's tangent does not reach the Hessian-vector product, and var's own part of it is 0.
            guard request.hvp, let variance = call.variance.tensor, let varianceTangent = tangents.variance else {
                return reference
            }
            let floor = variance.dtype.round(call.eps)
            let clamped = variance.values.map { $0 < floor }
            guard clamped.contains(true) else { return reference }
            var masked = call
            masked.higherOrder?.tangents.variance = varianceTangent.with(
                values: zip(varianceTangent.values, clamped).map { $1 ? 0 : $0 })
            guard var hvp = Reference.evaluate(masked, profile: profile).result?.hvp else { return reference }
            hvp.variance = hvp.variance.map { tensor in
                tensor.with(values: zip(tensor.values, clamped).map { $1 ? 0 : $0 })
            }
            result.hvp = hvp
            return .success(result)

        case .hessianCrossTermDropped:
            // hvp_input and hvp_target without var's tangent; hvp_var without input's and target's.
            guard request.hvp, tangents.variance != nil, tangents.input != nil || tangents.target != nil else {
                return reference
            }
            var withoutVariance = call
            withoutVariance.higherOrder?.tangents.variance = tangents.variance?.mapped { _ in 0 }
            var onlyVariance = call
            onlyVariance.higherOrder?.tangents.input = tangents.input?.mapped { _ in 0 }
            onlyVariance.higherOrder?.tangents.target = tangents.target?.mapped { _ in 0 }
            guard let differencePart = Reference.evaluate(withoutVariance, profile: profile).result?.hvp,
                let variancePart = Reference.evaluate(onlyVariance, profile: profile).result?.hvp
            else { return reference }
            result.hvp = OperandTensors(
                input: differencePart.input, target: differencePart.target, variance: variancePart.variance)
            return .success(result)

        case .zeroHessian:
            guard request.hvp, let hvp = result.hvp else { return reference }
            result.hvp = hvp.mapped { _ in 0 }
            return .success(result)

        case .jvpIgnoresVarianceTangent:
            guard request.jvp, let varianceTangent = tangents.variance else { return reference }
            var masked = call
            masked.higherOrder?.tangents.variance = varianceTangent.mapped { _ in 0 }
            guard let jvp = Reference.evaluate(masked, profile: profile).result?.jvp else { return reference }
            result.jvp = jvp
            return .success(result)

        case .forwardClampTestStrict:
            // Moves each var element that equals eps to just below it: clamped to eps, every value stays the same,
            // and forward mode drops its tangent.
            guard request.jvp, case .tensor(let variance) = call.variance, tangents.variance != nil else {
                return reference
            }
            let floor = variance.dtype.round(call.eps)
            guard floor > 0, floor.isFinite, variance.values.contains(floor) else { return reference }
            // One spacing of var's dtype at eps: x ± spacing is representable (below a power of two it is two).
            let spacing = Swift.max(
                Double(sign: .plus, exponent: floor.exponent - (variance.dtype.precision - 1), significand: 1),
                variance.dtype.leastNonzeroMagnitude)
            let neighbour = variance.dtype.round(floor - spacing)
            guard neighbour != floor, neighbour.isFinite else { return reference }
            let moved = variance.with(values: variance.values.map { $0 == floor ? neighbour : $0 })
            guard let jvp = Reference.evaluate(call.with(variance: .tensor(moved)), profile: profile).result?.jvp else {
                return reference
            }
            result.jvp = jvp
            return .success(result)

        default:
            wrongFamily(.higherOrder)
        }
    }
}
