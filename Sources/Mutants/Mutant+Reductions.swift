internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of the reductions (and their gradients) does.
    func evaluateReductions(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .meanOverInputCount:
            guard call.reduction == "mean", reference.result != nil,
                var result = Reference.evaluate(call.with(reduction: "sum"), profile: profile).result
            else { return reference }
            let count = Double(call.input.elementCount)
            result.loss = result.loss.mapped { $0 / count }
            result.gradients = result.gradients?.mapped { $0 / count }
            return .success(result)

        case .meanGradientNotDivided:
            guard call.reduction == "mean", var result = reference.result, result.gradients != nil,
                let sum = Reference.evaluate(call.with(reduction: "sum"), profile: profile).result
            else { return reference }
            result.gradients = sum.gradients
            return .success(result)

        case .sumGradientDivided:
            guard call.reduction == "sum", var result = reference.result, result.gradients != nil,
                let mean = Reference.evaluate(call.with(reduction: "mean"), profile: profile).result
            else { return reference }
            result.gradients = mean.gradients
            return .success(result)

        case .emptyMeanZero:
            guard call.reduction == "mean", var result = reference.result,
                unreducedCount(call, profile: profile) == 0
            else { return reference }
            result.loss = result.loss.mapped { _ in 0 }
            return .success(result)

        case .invalidReductionAsMean:
            guard Reduction(rawValue: call.reduction) == nil else { return reference }
            return Reference.evaluate(call.with(reduction: "mean"), profile: profile)

        case .reductionCaseInsensitive:
            let normalized = String(
                call.reduction.lowercased().drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace)
                    .reversed())
            guard normalized != call.reduction, Reduction(rawValue: normalized) != nil else { return reference }
            return Reference.evaluate(call.with(reduction: normalized), profile: profile)

        default:
            wrongFamily(.reductions)
        }
    }
}
