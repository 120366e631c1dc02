internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    static func needsGradients(_ environment: GenerationEnvironment) -> String? {
        environment.gradients ? nil : "the candidate computes no gradients"
    }

    /// Below eps, d/dvar is the formula at eps (the clamp is not differentiated), not 0.
    static func gradientIgnoresClamp(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.gradient.ignores_clamp", category: "gradient",
            title: "For var entries below eps, d/dvar is 0.5·(1/eps − d²/eps²) summed over the elements that read "
                + "them, as for var = eps: the clamp is not differentiated, and the gradient is not 0",
            database: database, requirement: needsGradients
        ) { source, environment in
            let call = callAroundEps(&source, environment, gradients: 1)
            let raised = call.with(variance: clamped(call.variance, eps: call.eps, inputType: call.input.dtype))
            return Trial(calls: [call, raised]) { check in
                check.judgeAll()
                check.expectSameOutputs("var vs max(var, eps)", 0, 1, kinds: gradientKinds)
            }
        }
    }

    /// Away from the clamp, the gradients are the oracle's loss differentiated numerically.
    static func finiteDifferences(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.gradient.finite_differences", category: "gradient",
            title: "Above eps, every gradient agrees with central finite differences of the oracle's loss (with "
                + "protocol 2, also when only some operands require grad)",
            database: database, requirement: needsGradients
        ) { source, environment in
            var recipe = CallRecipe.plain
            recipe.ranks = 0...3
            recipe.maximumElements = 6
            recipe.targetForms = [(3, .same), (1, .suffix), (1, .larger), (1, .unitExtents)]
            recipe.varianceForms = [(3, .same), (1, .dropLast), (1, .dropLastUnit), (1, .sameRankUnit), (1, .scalar)]
            recipe.variances = .moderate
            recipe.gradients = 0
            var call = source.call(recipe, environment)
            call.eps = source.element([LossCase.defaultEps, 1e-8, 1e-4])
            source.requestGradients(&call, profile: environment.profile)
            source.requirePartialGradients(&call, environment, probability: 0.3)
            return Trial(calls: [call]) { check in
                guard check.judge(0), let weights = call.gradOutput else { return }
                check.expectFiniteDifferences(call, weights: weights)
            }
        }
    }

    /// Gradients are linear in grad_output.
    static func linearInGradOutput(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.gradient.linear_in_grad_output", category: "gradient",
            title: "Scaling grad_output by a power of two scales every gradient by it (with protocol 2, also when "
                + "only some operands require grad)",
            database: database, requirement: needsGradients
        ) { source, environment in
            var recipe = CallRecipe.plain
            recipe.variances = .wide
            recipe.gradients = 0
            var call = source.call(recipe, environment)
            let power = source.element([1, 2, -1, 3, -2])
            let factor = Double(sign: .plus, exponent: power, significand: 1)
            guard case .success(let result) = Reference.evaluate(call, profile: environment.profile) else {
                return Trial(calls: [call])
            }
            let gradient = source.tensor(result.loss.dtype, result.loss.shape) {
                $0.signed(Double($0.int(in: 1...16)) / 4)
            }
            call.gradOutput = gradient
            source.requirePartialGradients(&call, environment, probability: 0.3)
            var scaled = call
            scaled.gradOutput = gradient.with(values: gradient.values.map { $0 * factor })
            return Trial(calls: [call, scaled]) { check in
                check.judgeAll()
                for kind in gradientKinds {
                    check.expectSame(
                        "grad_output × \(factor)", check.output(kind, of: 1), check.output(kind, of: 0),
                        factor: factor)
                }
            }
        }
    }
}

extension TrialCheck {
    /// Compares each gradient of call 0 with central differences of the oracle's loss, weighted by grad_output.
    ///
    /// The operands are converted to float64 (exactly) and perturbed by a power of two well above their
    /// rounding: 2^-14 of max(|x|, 1) for input and target, 2^-12 of var, which keeps var far above eps.
    /// The oracle evaluates in ``ExactReal`` (float64 operands), so the differences carry truncation error and the
    /// rounding of the two weighted loss sums, which cancels in the difference: the allowance is the judge's bound,
    /// plus 2^-16 of the gradient's size, plus 16 roundings (``ExactReal``'s `ulpOfOne`) of the sums' magnitudes
    /// over the step.
    mutating func expectFiniteDifferences(_ call: LossCase, weights: Tensor) {
        let profile = context.profile
        var base = call
        base.gradOutput = nil
        base.input = call.input.converted(to: .float64)
        base.target = call.target.converted(to: .float64)
        if case .tensor(let variance) = call.variance { base.variance = .tensor(variance.converted(to: .float64)) }

        func objective(_ perturbed: LossCase) -> (total: ExactReal, magnitude: ExactReal)? {
            guard case .success(let loss, _, _) = Oracle.evaluate(perturbed, profile: profile),
                loss.elements.count == weights.values.count
            else { return nil }
            var total: ExactReal = 0
            var magnitude: ExactReal = 0
            for (element, weight) in zip(loss.elements, weights.values) {
                total += element.value * ExactReal(weight)
                magnitude += abs(element.value * ExactReal(weight))
            }
            return (total, magnitude)
        }

        let operands: [(OutputKind, Tensor?)] = [
            (.gradInput, base.input), (.gradTarget, base.target), (.gradVar, base.variance.tensor),
        ]
        for (kind, operand) in operands {
            guard let operand, let output = output(kind, of: 0) else { continue }
            for position in operand.values.indices {
                let x = operand.values[position]
                let step =
                    kind == .gradVar
                    ? Double(sign: .plus, exponent: x.exponent - 12, significand: 1)
                    : Double(sign: .plus, exponent: Swift.max(abs(x), 1).exponent - 14, significand: 1)
                func shifted(_ delta: Double) -> LossCase {
                    var values = operand.values
                    values[position] = x + delta
                    let tensor = operand.with(values: values)
                    switch kind {
                    case .gradInput: return base.with(input: tensor)
                    case .gradTarget: return base.with(target: tensor)
                    default: return base.with(variance: .tensor(tensor))
                    }
                }
                guard let above = objective(shifted(step)), let below = objective(shifted(-step)),
                    above.total.isFinite, below.total.isFinite, position < output.exact.elements.count
                else { continue }
                let derivative = (above.total - below.total) / ExactReal(2 * step)
                let element = output.exact.elements[position]
                let cancellation = 16 * ExactReal.ulpOfOne * (above.magnitude + below.magnitude) / ExactReal(2 * step)
                let allowance = (abs(derivative) + element.errorScale) * ExactReal(0x1p-16) + cancellation
                let before = findings.count
                expectAgreement(
                    "central difference", value: output, at: position, derived: Double(derivative), terms: [],
                    slack: allowance, includeOracleMiss: false)
                if findings.count > before { return }
            }
        }
    }
}
