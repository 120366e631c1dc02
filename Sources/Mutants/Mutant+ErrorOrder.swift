internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a mutant of the negative-var check, or of the order of a call's checks, does.
    func evaluateErrorOrder(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .nanVarianceRejected:
            guard call.variance.values.contains(where: \.isNaN) else { return reference }
            return Reference.evaluate(call.with(variance: call.variance.map { $0.isNaN ? -1 : $0 }), profile: profile)

        case .negativeZeroRejected:
            let isNegativeZero = { (value: Double) in value == 0 && value.sign == .minus }
            guard call.variance.values.contains(where: isNegativeZero) else { return reference }
            return Reference.evaluate(
                call.with(variance: call.variance.map { isNegativeZero($0) ? -1 : $0 }), profile: profile)

        case .oldErrorOrder:
            guard reference.rejection?.kind == .negativeVar else { return reference }
            let probe = Reference.evaluate(call.with(variance: call.variance.map { abs($0) }), profile: profile)
            if let other = probe.rejection, other.kind == .varSize || other.kind == .reduction { return probe }
            return reference

        case .newErrorOrder:
            return call.variance.hasNegativeEntry ? .rejection(.negativeVar) : reference

        default:
            wrongFamily(.errorOrder)
        }
    }
}
