internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of the Python-float var does.
    func evaluateScalarVariance(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .scalarVarianceRejected:
            guard case .scalar = call.variance else { return reference }
            return .rejection(.floatHasNoAttribute("size"))

        case .scalarVarianceGradient:
            guard case .scalar(let value) = call.variance, var result = reference.result, result.gradients != nil
            else { return reference }
            let filled = makeTensor(
                call.input.dtype, call.input.shape, Array(repeating: value, count: call.input.elementCount))
            result.gradients?.variance =
                Reference.evaluate(call.with(variance: .tensor(filled)), profile: profile).result?.gradients?.variance
            return .success(result)

        default:
            wrongFamily(.scalarVariance)
        }
    }
}
