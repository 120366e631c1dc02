internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// full adds 0.5·log(2π) per element (per sample, D times, in torch-1.8) and leaves the gradients alone.
    static func fullAddsConstant(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.full.adds_constant", category: "full",
            title: "full=True adds exactly 0.5·log(2π) to each loss element (0.5·D·log(2π) per sample in "
                + "torch-1.8) and leaves the gradients unchanged",
            database: database
        ) { source, environment in
            let profile = environment.profile
            var recipe = reductionRecipe()
            recipe.zeroWeight = 0.05
            recipe.full = 0
            var call = source.call(recipe, environment)
            source.maybeRequestGradients(&call, environment, probability: 0.6)
            let withConstant = call.with(full: true)
            let count = unreducedCount(call, profile: profile) ?? 0
            let rows = call.input.shape.dims.first ?? 1
            let width = profile.sumsPerSample && rows > 0 ? call.input.elementCount / rows : 1
            let perOutput: Double
            switch call.reduction {
            case "sum": perOutput = Double(count * width)
            default: perOutput = Double(width)
            }
            return Trial(calls: [call, withConstant]) { check in
                check.judgeAll()
                check.expectSame(
                    "full adds \(perOutput) × 0.5·log(2π)", check.output(.loss, of: 1), check.output(.loss, of: 0),
                    constant: perOutput * halfLogTwoPi)
                check.expectSameOutputs("full leaves gradients unchanged", 1, 0, kinds: gradientKinds)
            }
        }
    }

    /// Swapping input and target changes nothing; grad_target is −grad_input.
    static func swapSymmetry(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.symmetry.swap_input_target", category: "symmetry",
            title: "Swapping input and target (same shapes) leaves the loss unchanged, and grad_target = −grad_input",
            database: database
        ) { source, environment in
            var recipe = reductionRecipe()
            recipe.targetForms = [(1, .same)]
            recipe.gradients = 0.8
            var call = source.call(recipe, environment)
            if call.variance.tensor == nil && call.input.dtype != call.target.dtype {
                // A Python-float var takes input's dtype, so a swap would change var's rounding: use the tensor
                // it stands for, var * ones_like(input), in both calls.
                call = call.with(
                    variance: .tensor(
                        Tensor.filledOrEmpty(call.varianceScalar, dtype: call.input.dtype, shape: call.input.shape)))
            }
            let swapped = call.with(input: call.target, target: call.input)
            return Trial(calls: [call, swapped]) { check in
                check.judgeAll()
                check.expectSame("swapped", check.output(.loss, of: 1), check.output(.loss, of: 0))
                check.expectSame("swapped", check.output(.gradInput, of: 1), check.output(.gradTarget, of: 0))
                check.expectSame("swapped", check.output(.gradTarget, of: 1), check.output(.gradInput, of: 0))
                check.expectSame("swapped", check.output(.gradVar, of: 1), check.output(.gradVar, of: 0))
                check.expectSame(
                    "grad_target = −grad_input", check.output(.gradTarget, of: 0), check.output(.gradInput, of: 0),
                    factor: -1)
            }
        }
    }

    /// A Python-float var is `var * ones_like(input)`, without a gradient.
    static func scalarEqualsFilledTensor(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.scalar_var.equals_filled_tensor", category: "scalar_var",
            title: "A Python-float var gives the loss and input/target gradients of var * ones_like(input), "
                + "and no var gradient",
            database: database,
            requirement: { $0.scalarVariance ? nil : "the candidate takes no Python-float var" }
        ) { source, environment in
            var recipe = reductionRecipe()
            recipe.varianceForms = [(1, .scalar)]
            recipe.variances = .wide
            recipe.gradients = 0.7
            let call = source.call(recipe, environment)
            let value = call.variance.tensor == nil ? call.varianceScalar : 1
            let filled = Tensor.filledOrEmpty(value, dtype: call.input.dtype, shape: call.input.shape)
            let tensorCall = call.with(variance: .tensor(filled))
            return Trial(calls: [call, tensorCall]) { check in
                check.judgeAll()
                check.expectSameOutputs("float var vs filled tensor", 0, 1, kinds: [.loss, .gradInput, .gradTarget])
            }
        }
    }
}

extension LossCase {
    /// The Python-float var, or NaN for a tensor.
    var varianceScalar: Double {
        if case .scalar(let value) = variance { return value }
        return .nan
    }
}

extension Tensor {
    /// A tensor of one value (rounded to the dtype).
    static func filledOrEmpty(_ value: Double, dtype: DType, shape: Shape) -> Tensor {
        makeTensor(dtype, shape, Array(repeating: value, count: shape.count))
    }
}
