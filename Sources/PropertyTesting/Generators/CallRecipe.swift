internal import GaussianNLL

/// What a random call may contain: the weights of each shape form, the value styles and the parameters.
///
/// Properties start from ``standard`` or ``plain`` and narrow it. Forms that do not apply (a Python float var
/// for a candidate without the feature, a `(N, -1)` view outside torch 1.8) are dropped when drawing.
struct CallRecipe {
    var ranks: ClosedRange<Int> = 0...6
    var maximumElements = 64
    var zeroWeight = 0.15
    /// The chance that input's last two extents are equal (the square-input trap).
    var square = 0.1
    var varianceForms: [(Double, VarianceForm)] = [
        (6, .same), (2, .dropLast), (2, .dropLastUnit), (1, .scalar), (1, .sameRankUnit), (0.3, .sameRankTwoUnits),
        (0.2, .sameRankZeroUnit), (0.5, .zeroDimensional), (0.5, .wrong),
    ]
    var targetForms: [(Double, TargetForm)] = [
        (6, .same), (1, .suffix), (1, .unitExtents), (1, .larger), (0.5, .zeroDimensional), (0.3, .mismatched),
        (1, .sameView),
    ]
    var values = ValueStyle.special
    var variances = VarianceStyle.special
    var eps = EpsStyle.any
    /// The chance (protocol 2 only) that eps is replaced by one of ``nonFiniteEpsValues``.
    var nonFiniteEps = 0.0
    var nonFiniteEpsValues: [Double] = [.nan, .infinity, -.infinity]
    /// The chance (protocol 2 only) that a Python-float var is NaN, +inf or −inf.
    var nonFiniteScalarVariance = 0.0
    /// The chance of an invalid reduction string.
    var invalidReduction = 0.04
    var reductions = ["mean", "none", "sum"]
    /// The chance that the operands get independently drawn dtypes.
    var mixed = 0.25
    /// The chance that var gets a negative entry.
    var negativeVariance = 0.03
    var full = 0.5
    /// The chance of asking for gradients.
    var gradients = 0.8
    /// The chance (protocol 2 only) that gradients are asked for only some operands.
    var partialGradients = 0.0

    /// Anything: every form, special values, odd parameters; with protocol 2, non-finite eps and Python-float var
    /// and gradients for only some operands.
    static let standard: CallRecipe = {
        var recipe = CallRecipe()
        recipe.nonFiniteEps = 0.06
        recipe.nonFiniteScalarVariance = 0.2
        recipe.partialGradients = 0.25
        return recipe
    }()

    /// Accepted calls with ordinary values: same-shape target, broadcasting var forms, no special values.
    static var plain: CallRecipe {
        var recipe = CallRecipe()
        recipe.ranks = 0...4
        recipe.maximumElements = 48
        recipe.zeroWeight = 0
        recipe.varianceForms = [(4, .same), (1, .dropLast), (1, .dropLastUnit), (1, .scalar)]
        recipe.targetForms = [(4, .same), (1, .suffix), (1, .larger)]
        recipe.values = .plain
        recipe.variances = .moderate
        recipe.eps = .usual
        recipe.invalidReduction = 0
        recipe.negativeVariance = 0
        recipe.mixed = 0.15
        return recipe
    }
}

extension ChoiceSource {
    /// A random call made to a recipe, for the candidate's environment.
    mutating func call(_ recipe: CallRecipe, _ environment: GenerationEnvironment) -> LossCase {
        let profile = environment.profile
        let (inputType, targetType, varianceType) = operandTypes(environment, mixed: recipe.mixed)
        var input = shape(rank: recipe.ranks, maximumElements: recipe.maximumElements, zeroWeight: recipe.zeroWeight)
        if chance(recipe.square) {
            let side = input.dims.last ?? extent()
            input = Shape(Array(input.dims.dropLast(2)) + [side, side]).limited(to: recipe.maximumElements * 2)
        }
        let targetForms = recipe.targetForms.filter { $0.1 != .sameView || profile.sumsPerSample }
        let target = targetShape(weighted(targetForms.isEmpty ? [(1, .same)] : targetForms), input: input)
        let varianceForms = recipe.varianceForms.filter { $0.1 != .scalar || environment.scalarVariance }
        let form = weighted(varianceForms.isEmpty ? [(1, .same)] : varianceForms)
        let varianceShape = form == .scalar ? nil : (varianceShape(form, input: input) ?? input)

        var eps = eps(recipe.eps)
        if environment.speaksProtocol2 && recipe.nonFiniteEps > 0 && chance(recipe.nonFiniteEps) {
            eps = element(recipe.nonFiniteEpsValues)
        }
        let reduction = chance(recipe.invalidReduction) ? invalidReduction() : element(recipe.reductions)
        let full = chance(recipe.full)
        let inputTensor = tensor(inputType, input) { $0.value(inputType, recipe.values) }
        let targetTensor = tensor(targetType, target) { $0.value(targetType, recipe.values) }
        var variance: Variance
        if let varianceShape {
            variance = .tensor(
                tensor(varianceType, varianceShape) { $0.variance(varianceType, eps: eps, recipe.variances) })
        } else {
            // A Python float: finite for a protocol 1 candidate, whose JSON numbers cannot be NaN or infinities.
            var value = self.variance(inputType, eps: eps, recipe.variances)
            if environment.speaksProtocol2 {
                if recipe.nonFiniteScalarVariance > 0 && chance(recipe.nonFiniteScalarVariance) {
                    value = element([.nan, .infinity, -.infinity])
                }
            } else if !value.isFinite {
                value = 0.5
            }
            variance = .scalar(value)
        }
        if chance(recipe.negativeVariance) { variance = withNegativeEntry(variance) }
        var call = LossCase(
            input: inputTensor, target: targetTensor, variance: variance, full: full, eps: eps, reduction: reduction)
        maybeRequestGradients(&call, environment, probability: recipe.gradients, partial: recipe.partialGradients)
        return call
    }

    /// A negative value for var: −1, −0.5, −1e-3, the smallest negative subnormal, or −inf.
    mutating func negativeValue(_ dtype: DType) -> Double {
        element([-1, -0.5, -1e-3, -dtype.leastNonzeroMagnitude, -.infinity])
    }

    /// var with one entry made negative (a finite negative Python float for a scalar).
    mutating func withNegativeEntry(_ variance: Variance) -> Variance {
        switch variance {
        case .scalar:
            return .scalar(element([-1, -0.5, -1e-3, -Double.leastNonzeroMagnitude]))
        case .tensor(let tensor):
            guard tensor.elementCount > 0 else { return variance }
            var values = tensor.values
            values[index(values.count)] = negativeValue(tensor.dtype)
            return .tensor(tensor.with(values: values))
        }
    }
}
