internal import GaussianNLL

extension Mutant {
    /// Evaluates a call as a dtype mutant does: one that accumulates half precision naively, computes in another
    /// dtype, or promotes types another way.
    func evaluateDTypes(_ call: LossCase, profile: Profile, reference: LossOutcome) -> LossOutcome {
        switch self {
        case .halfNaiveSum:
            guard var result = reference.result, result.loss.dtype.byteWidth == 2,
                call.reduction == "sum" || call.reduction == "mean"
            else { return reference }
            var none = call.with(reduction: "none")
            none.gradOutput = nil
            guard let elements = Reference.evaluate(none, profile: profile).result?.loss else { return reference }
            let dtype = result.loss.dtype
            var total = 0.0
            for value in elements.values { total = dtype.round(total + value) }
            if call.reduction == "mean" { total = dtype.round(total / Double(elements.elementCount)) }
            result.loss = makeTensor(dtype, [], [total])
            return .success(result)

        case .float64InFloat32:
            return computed(call, replacing: .float64, with: .float32, profile: profile, reference: reference)

        case .bfloat16InFloat16:
            return computed(call, replacing: .bfloat16, with: .float16, profile: profile, reference: reference)

        case .lossDTypeIgnoresVariance:
            guard let variance = call.variance.tensor, reference.result != nil else { return reference }
            let differenceType = DType.promote(
                call.input.dtype, zeroDimensional: call.input.shape.rank == 0, call.target.dtype,
                zeroDimensional: call.target.shape.rank == 0)
            guard variance.dtype != differenceType else { return reference }
            return evaluateConverted(
                call.with(variance: .tensor(variance.converted(to: differenceType))), like: call, profile: profile)

        case .zeroDimensionalPromotionIgnored:
            guard let original = reference.result else { return reference }
            var types = [call.input.dtype, call.target.dtype]
            if let variance = call.variance.tensor { types.append(variance.dtype) }
            let promoted = types.dropFirst().reduce(types[0]) { DType.promote($0, $1) }
            guard promoted != original.loss.dtype else { return reference }
            var converted = call.with(
                input: call.input.converted(to: promoted), target: call.target.converted(to: promoted),
                variance: call.variance.tensor.map { .tensor($0.converted(to: promoted)) } ?? call.variance)
            converted.gradOutput = nil
            return evaluateConverted(converted, like: call, profile: profile)

        case .integerVarianceAccepted:
            guard let variance = call.variance.tensor, !variance.dtype.isFloatingPoint, !call.variance.hasNegativeEntry
            else { return reference }
            return evaluateConverted(
                call.with(variance: .tensor(variance.converted(to: .float32))), like: call, profile: profile)

        case .integerDifferenceInFloat:
            guard !call.input.dtype.isFloatingPoint, !call.target.dtype.isFloatingPoint,
                call.input.dtype != .bool, call.target.dtype != .bool, let original = reference.result
            else { return reference }
            let type = original.loss.dtype
            var converted = call.with(input: call.input.converted(to: type), target: call.target.converted(to: type))
            converted.requiresGrad = call.gradientOperands
            return evaluateConverted(converted, like: call, profile: profile)

        default:
            wrongFamily(.dtypes)
        }
    }

    /// Computes a call with the operands of one dtype converted to another, and converts the outputs back.
    private func computed(
        _ call: LossCase, replacing original: DType, with substitute: DType, profile: Profile, reference: LossOutcome
    ) -> LossOutcome {
        var types = [call.input.dtype, call.target.dtype]
        if let variance = call.variance.tensor { types.append(variance.dtype) }
        guard types.contains(original), reference.result != nil else { return reference }
        func swap(_ tensor: Tensor) -> Tensor { tensor.dtype == original ? tensor.converted(to: substitute) : tensor }
        var converted = call.with(
            input: swap(call.input), target: swap(call.target),
            variance: call.variance.tensor.map { .tensor(swap($0)) } ?? call.variance)
        converted.gradOutput = call.gradOutput.map(swap)
        return convertBack(Reference.evaluate(converted, profile: profile), like: call, reference: reference)
    }

    /// Evaluates a call whose operands were converted, giving it a grad_output of its own loss dtype.
    private func evaluateConverted(_ converted: LossCase, like call: LossCase, profile: Profile) -> LossOutcome {
        var converted = converted
        converted.gradOutput = nil
        if let gradOutput = call.gradOutput, let loss = Reference.evaluate(converted, profile: profile).result?.loss {
            converted.gradOutput = gradOutput.converted(to: loss.dtype)
        }
        var outcome = Reference.evaluate(converted, profile: profile)
        if var result = outcome.result, let gradients = result.gradients {
            result.gradients = Gradients(
                input: gradients.input?.converted(to: call.input.dtype),
                target: gradients.target?.converted(to: call.target.dtype),
                variance: gradients.variance.map { $0.converted(to: call.variance.tensor?.dtype ?? $0.dtype) })
            outcome = .success(result)
        }
        return outcome
    }

    /// Converts the outputs of a substitute computation to the dtypes of the original call's outputs.
    private func convertBack(_ outcome: LossOutcome, like call: LossCase, reference: LossOutcome) -> LossOutcome {
        guard var result = outcome.result, let original = reference.result else { return outcome }
        result.loss = result.loss.converted(to: original.loss.dtype)
        if let gradients = result.gradients {
            result.gradients = Gradients(
                input: gradients.input?.converted(to: call.input.dtype),
                target: gradients.target?.converted(to: call.target.dtype),
                variance: gradients.variance.map { $0.converted(to: call.variance.tensor?.dtype ?? $0.dtype) })
        }
        return .success(result)
    }
}
