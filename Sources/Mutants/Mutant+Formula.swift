internal import GaussianNLL

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension Mutant {
    /// Evaluates a call as a mutant of the formula does: the `full` constant 0.5·log(2π), or the factor 0.5.
    func evaluateFormula(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .fullLogTwoPi:
            guard call.full, var result = reference.result,
                let without = Reference.evaluate(call.with(full: false), profile: profile).result
            else { return reference }
            result.loss = result.loss.combined(with: without.loss) { $0 + ($0 - $1) }
            return .success(result)

        case .fullOnceOnSum:
            guard call.full, call.reduction == "sum", reference.result != nil,
                var result = Reference.evaluate(call.with(full: false), profile: profile).result
            else { return reference }
            let rows = call.input.shape.dims.first ?? 1
            let width = profile.sumsPerSample && rows > 0 ? Double(call.input.elementCount / rows) : 1
            let constant = 0.5 * log(2 * Double.pi) * width
            result.loss = result.loss.mapped { $0 + constant }
            return .success(result)

        case .missingHalfFactor:
            guard var result = reference.result,
                let without = Reference.evaluate(call.with(full: false), profile: profile).result
            else { return reference }
            result.loss = result.loss.combined(with: without.loss) { $0 + $1 }
            result.gradients = result.gradients?.mapped { 2 * $0 }
            return .success(result)

        default:
            wrongFamily(.formula)
        }
    }
}
