public import GaussianNLL

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension Mutant {
    /// Evaluates a call the mutant's way under a profile.
    public func evaluate(_ call: LossCase, profile: Profile) -> LossOutcome {
        let reference = Reference.evaluate(call, profile: profile)
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

        case .elementwiseNoneIn1_8:
            return elementwiseNone(call, profile: profile, reference: reference)

        case .targetBroadcastIn1_8:
            guard profile == .torch1_8, reference.rejection?.kind == .targetSize,
                case .success = Shape.broadcast(call.input.shape, call.target.shape)
            else { return reference }
            var relaxed = call
            relaxed.gradOutput = nil
            return Reference.evaluate(relaxed, profile: .torch1_9)
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
                input: gradients.input.converted(to: call.input.dtype),
                target: gradients.target.converted(to: call.target.dtype),
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
                input: gradients.input.converted(to: call.input.dtype),
                target: gradients.target.converted(to: call.target.dtype),
                variance: gradients.variance.map { $0.converted(to: call.variance.tensor?.dtype ?? $0.dtype) })
        }
        return .success(result)
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
                input: (try? gradients.input.reshaped(call.input.shape)) ?? gradients.input,
                target: (try? gradients.target.reshaped(call.target.shape)) ?? gradients.target,
                variance: gradients.variance.map { (try? $0.reshaped(variance.shape)) ?? $0 })
            outcome = .success(result)
        }
        return outcome
    }
}
