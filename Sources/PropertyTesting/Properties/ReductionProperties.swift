internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// Calls for the reduction properties: any accepted shape, wide values, no empty outputs.
    static func reductionRecipe() -> CallRecipe {
        var recipe = CallRecipe.plain
        recipe.targetForms = [(4, .same), (1, .suffix), (1, .larger), (1, .unitExtents)]
        recipe.varianceForms = [(4, .same), (1, .dropLast), (1, .dropLastUnit), (1, .sameRankUnit), (1, .scalar)]
        recipe.values = .wide
        recipe.variances = .wide
        recipe.gradients = 0
        return recipe
    }

    static func sumOfNone(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.reduction.sum_of_none", category: "reduction",
            title: "'sum' equals the sum of the 'none' loss",
            database: database
        ) { source, environment in
            let none = source.call(reductionRecipe(), environment).with(reduction: "none")
            var sum = none.with(reduction: "sum")
            source.maybeRequestGradients(&sum, environment, probability: 0.3, partial: 0.3)
            return Trial(calls: [none, sum]) { check in
                check.judgeAll()
                guard let unreduced = check.output(.loss, of: 0), let total = check.output(.loss, of: 1) else { return }
                check.expectAgreement(
                    "sum of the 'none' loss", value: total, at: 0,
                    terms: unreduced.tensor.values.indices.map { TrialCheck.Term(output: unreduced, position: $0) })
            }
        }
    }

    static func meanOverCount(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.reduction.mean_is_sum_over_count", category: "reduction",
            title: "'mean' equals 'sum' divided by the element count of the 'none' loss (samples in torch-1.8)",
            database: database
        ) { source, environment in
            let sum = source.call(reductionRecipe(), environment).with(reduction: "sum")
            var mean = sum.with(reduction: "mean")
            source.maybeRequestGradients(&mean, environment, probability: 0.3, partial: 0.3)
            let count = unreducedCount(sum, profile: environment.profile) ?? 0
            return Trial(calls: [sum, mean]) { check in
                check.judgeAll()
                guard count > 0, let total = check.output(.loss, of: 0), let average = check.output(.loss, of: 1) else {
                    return
                }
                check.expectAgreement(
                    "sum / \(count)", value: average, at: 0,
                    terms: [TrialCheck.Term(output: total, position: 0, factor: 1 / Double(count))])
            }
        }
    }

    static func meanGradient(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.reduction.mean_gradient", category: "reduction",
            title:
                "Every gradient under 'mean' equals the gradient under 'sum' (same grad_output) divided by the count "
                + "(with protocol 2, also when only some operands require grad)",
            database: database, requirement: needsGradients
        ) { source, environment in
            var mean = source.call(reductionRecipe(), environment).with(reduction: "mean")
            mean.gradOutput = nil
            source.requestGradients(&mean, profile: environment.profile)
            source.requirePartialGradients(&mean, environment, probability: 0.3)
            var sum = mean.with(reduction: "sum")
            sum.gradOutput = mean.gradOutput
            let count = unreducedCount(mean, profile: environment.profile) ?? 0
            return Trial(calls: [mean, sum]) { check in
                check.judgeAll()
                guard count > 0 else { return }
                for kind in gradientKinds {
                    check.expectSame(
                        "'sum' gradient / \(count)", check.output(kind, of: 0), check.output(kind, of: 1),
                        factor: 1 / Double(count))
                }
            }
        }
    }

    static func permutationInvariance(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.reduction.permutation_invariance", category: "reduction",
            title: "Permuting the elements of input, target and var alike permutes the 'none' loss and the gradients "
                + "and leaves 'sum' and 'mean' unchanged",
            database: database
        ) { source, environment in
            let profile = environment.profile
            let (inputType, targetType, varianceType) = source.operandTypes(environment, mixed: 0.15)
            let shape = source.shape(rank: 1...3, maximumElements: 32, zeroWeight: 0)
            let count = shape.count
            var permutation = Array(0..<count)
            for position in 0..<count {
                let other = position + source.index(count - position)
                permutation.swapAt(position, other)
            }
            let eps = source.eps(.usual)
            let scalar = environment.scalarVariance && source.chance(0.2)
            let input = source.tensor(inputType, shape) { $0.value(inputType, .wide) }
            let target = source.tensor(targetType, shape) { $0.value(targetType, .wide) }
            let variance: Variance =
                scalar
                ? .scalar(source.variance(inputType, eps: eps, .moderate))
                : .tensor(source.tensor(varianceType, shape) { $0.variance(varianceType, eps: eps, .wide) })
            func permuted(_ tensor: Tensor) -> Tensor { tensor.with(values: permutation.map { tensor.values[$0] }) }
            let reduction = source.reduction()
            var call = LossCase(
                input: input, target: target, variance: variance, full: source.chance(0.5), eps: eps,
                reduction: reduction)
            let elementwise = reduction != "none" || !profile.sumsPerSample
            if elementwise { source.maybeRequestGradients(&call, environment, probability: 0.6) }
            var other = call.with(
                input: permuted(input), target: permuted(target),
                variance: variance.tensor.map { .tensor(permuted($0)) } ?? variance)
            if let gradient = call.gradOutput, reduction == "none" { other.gradOutput = permuted(gradient) }
            return Trial(calls: [call, other]) { check in
                check.judgeAll()
                let kinds: [OutputKind] = elementwise ? OutputKind.allCases : []
                for kind in kinds {
                    guard let original = check.output(kind, of: 0), let moved = check.output(kind, of: 1) else {
                        continue
                    }
                    if kind == .loss && reduction != "none" {
                        check.expectSame("permuted", moved, original)
                        continue
                    }
                    guard moved.tensor.values.count == count else { continue }
                    let before = check.findings.count
                    for position in 0..<count where check.findings.count == before {
                        check.expectAgreement(
                            "permuted", value: moved, at: position,
                            terms: [TrialCheck.Term(output: original, position: permutation[position])])
                    }
                }
                if !elementwise, let original = check.output(.loss, of: 0), let moved = check.output(.loss, of: 1),
                    reduction != "none"
                {
                    check.expectSame("permuted", moved, original)
                }
            }
        }
    }

    static func emptyOutputs(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.reduction.empty_outputs", category: "reduction",
            title:
                "An empty loss gives NaN under 'mean', 0 under 'sum', an empty tensor under 'none', and zero gradients",
            database: database
        ) { source, environment in
            let (inputType, targetType, varianceType) = source.operandTypes(environment, mixed: 0.1)
            var inputDims = source.shape(rank: 1...4, maximumElements: 32, zeroWeight: 0).dims
            var targetDims = inputDims
            let axis = source.index(inputDims.count)
            if source.chance(0.3) {
                // A non-empty input whose broadcast with an empty target is empty.
                inputDims[axis] = 1
                targetDims[axis] = 0
            } else {
                inputDims[axis] = 0
                targetDims[axis] = 0
                if source.chance(0.2) { targetDims = Array(targetDims.dropFirst(source.int(in: 0...axis))) }
            }
            let input = Shape(inputDims)
            let eps = source.eps(.usual)
            let form = source.weighted([
                (3, VarianceForm.same), (1, .dropLast), (1, .dropLastUnit),
                (environment.scalarVariance ? 1 : 0, .scalar),
            ])
            let variance: Variance
            if form == .scalar {
                variance = .scalar(source.variance(inputType, eps: eps, .moderate))
            } else {
                let shape = source.varianceShape(form, input: input) ?? input
                variance = .tensor(
                    source.tensor(varianceType, shape) { $0.variance(varianceType, eps: eps, .moderate) })
            }
            var call = LossCase(
                input: source.tensor(inputType, input) { $0.value(inputType, .plain) },
                target: source.tensor(targetType, Shape(targetDims)) { $0.value(targetType, .plain) },
                variance: variance, full: source.chance(0.5), eps: eps, reduction: source.reduction())
            source.maybeRequestGradients(&call, environment, probability: 0.5)
            let count = unreducedCount(call, profile: environment.profile)
            return Trial(calls: [call]) { check in
                check.judgeAll()
                // torch-1.8 sums each of input's rows, so an input of shape (1, 0) has one (zero) loss element.
                guard count == 0, let result = check.result(0), check.accepted(0) else { return }
                let values = result.loss.values
                switch call.reduction {
                case "mean" where values.count == 1 && !values[0].isNaN:
                    check.fail("'mean' of an empty loss is \(values[0]), not NaN")
                case "sum" where values.count == 1 && values[0] != 0:
                    check.fail("'sum' of an empty loss is \(values[0]), not 0")
                default: break
                }
            }
        }
    }

    static func invalidReductionRejected(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.reduction.invalid_rejected", category: "reduction",
            title: "An invalid reduction string is rejected (kind reduction), in the profile's order with other errors",
            database: database
        ) { source, environment in
            var recipe = CallRecipe.plain
            recipe.invalidReduction = 1
            recipe.negativeVariance = 0.3
            recipe.varianceForms = [(4, .same), (1, .dropLastUnit), (1, .scalar), (1, .wrong)]
            recipe.targetForms = [(4, .same), (1, .mismatched)]
            recipe.gradients = 0.2
            return Trial(calls: [source.call(recipe, environment)])
        }
    }
}
