internal import GaussianNLL

/// The invalid reduction strings the properties try, besides random ones.
let invalidReductions = [
    "avg", "", "None", "MEAN", "Sum", "elementwise_mean", "batchmean", " mean", "sum ", "NONE", "means", "mean\n",
]

/// Which eps values to draw.
enum EpsStyle {
    /// Mostly the default, 1e-6; sometimes another positive value.
    case usual
    /// Positive values from 1e-12 to 10, the default most likely.
    case positive
    /// 0, −0.0 and negative values: no clamping.
    case nonPositive
    /// Anything finite: positive, zero, negative, tiny and huge (``CallRecipe/nonFiniteEps`` adds NaN and
    /// infinities for protocol 2).
    case any
}

extension ChoiceSource {
    /// A dtype the candidate supports: float32 most often, then float64, float16 and bfloat16.
    mutating func dtype(_ environment: GenerationEnvironment) -> DType {
        let weights: [DType: Double] = [.float32: 3, .float64: 2, .float16: 1.5, .bfloat16: 1.5]
        return weighted(environment.dtypes.map { (weights[$0] ?? 1, $0) })
    }

    /// dtypes for input, target and var: one dtype, or (when the candidate takes mixed dtypes) three drawn
    /// independently with probability `mixed`.
    mutating func operandTypes(_ environment: GenerationEnvironment, mixed: Double = 0.2) -> (DType, DType, DType) {
        let base = dtype(environment)
        guard environment.mixedDtypes && environment.dtypes.count > 1 && chance(mixed) else {
            return (base, base, base)
        }
        return (dtype(environment), dtype(environment), dtype(environment))
    }

    mutating func eps(_ style: EpsStyle) -> Double {
        switch style {
        case .usual:
            return weighted([(8, LossCase.defaultEps), (1, 1e-3), (1, 0.1), (1, 1e-8)])
        case .positive:
            let fixed = weighted([
                (3, LossCase.defaultEps), (1, 1e-3), (1, 0.1), (1, 1), (1, 1e-8), (0.5, 1e-12), (0.5, 10), (2, 0),
            ])
            guard fixed == 0 else { return fixed }
            return Double(sign: .plus, exponent: int(in: -30...3), significand: 1 + unitInterval())
        case .nonPositive:
            return element([0, -0.0, -1e-3, -1, -1e-300, -1e30])
        case .any:
            return weighted([
                (6, LossCase.defaultEps), (1, 0), (1, 1e-3), (1, 0.5), (0.5, -0.0), (0.5, -1e-3), (0.5, -1),
                (0.5, 1e-12), (0.3, 1e4), (0.3, Double.leastNonzeroMagnitude), (0.2, 1e30),
            ])
        }
    }

    /// A reduction: "mean", "none" or "sum", or with probability `invalid` a string PyTorch rejects.
    mutating func reduction(invalid: Double = 0) -> String {
        if chance(invalid) { return invalidReduction() }
        return element(["mean", "none", "sum"])
    }

    /// A string that is not a valid reduction: a near miss, or a few random letters.
    mutating func invalidReduction() -> String {
        if chance(0.25) {
            let letters = Array("abcdeimnsuMNS _")
            let text = String((0..<int(in: 0...6)).map { _ in element(letters) })
            return ["none", "mean", "sum"].contains(text) ? text + "x" : text
        }
        return element(invalidReductions)
    }

    /// A grad_output value: 1 most often, else a small signed value.
    mutating func gradientValue() -> Double {
        switch weighted([(4, 0), (3, 1), (3, 2)]) {
        case 0: return 1
        case 1: return signed(Double(int(in: 1...16)) / 4)
        default: return 4 * unitInterval() - 2
        }
    }

    /// A tensor of `shape` and `dtype` whose values come from `value`.
    mutating func tensor(_ dtype: DType, _ shape: Shape, _ value: (inout ChoiceSource) -> Double) -> Tensor {
        let values = (0..<shape.count).map { _ in value(&self) }
        return makeTensor(dtype, shape, values)
    }

    /// Gives a call a grad_output of the loss's shape and dtype (when the oracle accepts the call), with the
    /// operands in `requiresGrad` requiring grad (see ``requireGrad(_:_:)``).
    mutating func requestGradients(_ call: inout LossCase, profile: Profile, requiresGrad: RequiresGrad = .all) {
        call.gradOutput = nil
        call.requiresGrad = .all
        guard case .success(let result) = Reference.evaluate(call, profile: profile) else { return }
        call.gradOutput = tensor(result.loss.dtype, result.loss.shape) { $0.gradientValue() }
        Self.requireGrad(&call, requiresGrad)
    }

    /// Gives a call gradients with probability `probability`, when the candidate computes them; with protocol 2,
    /// with probability `partial` for only some of the operands.
    mutating func maybeRequestGradients(
        _ call: inout LossCase, _ environment: GenerationEnvironment, probability: Double = 0.7, partial: Double = 0
    ) {
        guard environment.gradients, chance(probability) else { return }
        requestGradients(&call, profile: environment.profile)
        if call.wantsGradients { requirePartialGradients(&call, environment, probability: partial) }
    }

    /// With protocol 2 and probability `probability`, makes only some of the operands that can require grad
    /// do so (``someOperands(of:)``).
    mutating func requirePartialGradients(
        _ call: inout LossCase, _ environment: GenerationEnvironment, probability: Double
    ) {
        guard environment.speaksProtocol2, probability > 0, call.wantsGradients, chance(probability) else { return }
        Self.requireGrad(&call, someOperands(of: call))
    }

    /// A random proper, non-empty subset of the operands that can require grad in a call (a floating tensor; a
    /// Python-float var never), or all of them when there is only one.
    mutating func someOperands(of call: LossCase) -> RequiresGrad {
        var gradientCall = call
        if gradientCall.gradOutput == nil { gradientCall.gradOutput = .scalar(1, dtype: .float32) }
        gradientCall.requiresGrad = .all
        let possible = gradientCall.gradientOperands
        let subsets = (1..<7).map { mask in
            RequiresGrad(
                input: possible.input && mask & 1 != 0, target: possible.target && mask & 2 != 0,
                variance: possible.variance && mask & 4 != 0)
        }
        var proper = [RequiresGrad]()
        for subset in subsets where subset.any && subset != possible && !proper.contains(subset) {
            proper.append(subset)
        }
        return proper.isEmpty ? possible : element(proper)
    }

    /// Sets which operands require grad, kept consistent with the call: ``RequiresGrad/all`` (every operand that
    /// can: protocol 1's rule, which stays so when a later call of the trial replaces a Python-float var by a
    /// tensor), or exactly the floating tensors of `operands`, never a Python-float var or an integer or bool
    /// operand. Without any operand that requires grad the call asks for no gradients at all (the protocol has
    /// no call with grad and nothing that requires it).
    static func requireGrad(_ call: inout LossCase, _ operands: RequiresGrad) {
        guard call.gradOutput != nil else {
            call.requiresGrad = .all
            return
        }
        call.requiresGrad = operands
        if !call.gradientOperands.any {
            call.gradOutput = nil
            call.requiresGrad = .all
        } else if operands != .all {
            call.requiresGrad = call.gradientOperands
        }
    }
}

extension Tensor {
    /// The values expanded (broadcast) to a larger shape.
    func expanded(to result: Shape, as operand: Shape? = nil) -> Tensor {
        makeTensor(dtype, result, BroadcastMap.expand(values, operand: operand ?? shape, result: result))
    }
}
