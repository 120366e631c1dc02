internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// var with the entries below eps raised to eps, as var's dtype holds eps.
    static func clamped(_ variance: Variance, eps: Double, inputType: DType) -> Variance {
        switch variance {
        case .scalar(let value):
            let floor = inputType.round(eps)
            let rounded = inputType.round(value)
            return .scalar(rounded < floor ? floor : value)
        case .tensor(let tensor):
            let floor = tensor.dtype.round(eps)
            return .tensor(tensor.with(values: tensor.values.map { $0 < floor ? floor : $0 }))
        }
    }

    /// A call whose var has entries around eps, and at least one below it when eps is positive.
    static func callAroundEps(
        _ source: inout ChoiceSource, _ environment: GenerationEnvironment, gradients: Double
    ) -> LossCase {
        var recipe = CallRecipe.plain
        recipe.ranks = 0...3
        recipe.maximumElements = 32
        recipe.varianceForms = [(4, .same), (1, .dropLastUnit), (1, .dropLast), (1, .scalar)]
        recipe.variances = .clamp
        recipe.eps = .positive
        recipe.gradients = 0
        var call = source.call(recipe, environment)
        if case .tensor(let variance) = call.variance, variance.elementCount > 0 {
            let floor = variance.dtype.round(call.eps)
            if floor > 0, !variance.values.contains(where: { $0 < floor }) {
                var values = variance.values
                values[source.index(values.count)] = source.element([0, floor / 2, floor * source.unitInterval()])
                call.variance = .tensor(variance.with(values: values))
            }
        }
        source.maybeRequestGradients(&call, environment, probability: gradients, partial: gradients > 0 ? 0.25 : 0)
        return call
    }

    /// The forward loss with var is the forward loss with max(var, eps).
    static func clampEquivalence(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.eps.clamp_equivalence", category: "eps",
            title: "The loss with var equals the loss with max(var, eps): var below eps behaves as var = eps",
            database: database
        ) { source, environment in
            let call = callAroundEps(&source, environment, gradients: 0)
            let raised = call.with(variance: clamped(call.variance, eps: call.eps, inputType: call.input.dtype))
            return Trial(calls: [call, raised]) { check in
                check.judgeAll()
                check.expectSame("var vs max(var, eps)", check.output(.loss, of: 0), check.output(.loss, of: 1))
            }
        }
    }

    /// eps of 0, −0.0 or below (−inf with protocol 2) leaves var unclamped.
    static func nonPositiveEps(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.eps.non_positive", category: "eps",
            title:
                "eps = 0, −0.0 or negative (−inf with protocol 2) leaves var unclamped: zero and subnormal var entries "
                + "are used as they are",
            database: database
        ) { source, environment in
            var recipe = CallRecipe.plain
            recipe.ranks = 0...3
            recipe.maximumElements = 24
            recipe.varianceForms = [(4, .same), (1, .dropLastUnit), (1, .scalar)]
            recipe.variances = .clamp
            recipe.eps = .nonPositive
            recipe.nonFiniteEps = 0.15
            recipe.nonFiniteEpsValues = [-.infinity]
            recipe.gradients = 0.5
            recipe.partialGradients = 0.2
            return Trial(calls: [source.call(recipe, environment)])
        }
    }

    /// NaN var entries stay NaN through the clamp; −0.0 with eps = 0 is kept, not rejected. With protocol 2, eps
    /// is also NaN (the profile's rule: var unclamped before torch 2.10, every clamped element NaN from 2.10 on)
    /// or ±inf, and a Python-float var NaN or ±inf.
    static func specialVariance(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.eps.special_var", category: "eps",
            title: "NaN in var survives the clamp (the loss elements that read it are NaN); −0.0, 0 and inf in var "
                + "are accepted and give PyTorch's values, also with eps = 0; with protocol 2, eps = NaN (the "
                + "profile's rule), +inf and −inf, and a Python-float var of NaN, +inf or −inf, give PyTorch's values",
            database: database
        ) { source, environment in
            let profile = environment.profile
            let (inputType, targetType, varianceType) = source.operandTypes(environment, mixed: 0.1)
            let input = source.shape(rank: profile.sumsPerSample ? 1...3 : 0...3, maximumElements: 24, zeroWeight: 0)
            let broadcast = !profile.sumsPerSample && input.rank > 0 && source.chance(0.3)
            let varianceShape = broadcast ? input.droppingLast.appendingUnitAxis : input
            var epsOptions = [LossCase.defaultEps, 0, -0.0, 1e-3, 0.25]
            if environment.speaksProtocol2 { epsOptions += [.nan, .infinity, -.infinity] }
            let eps = source.element(epsOptions)
            let variance = source.tensor(varianceType, varianceShape) { source in
                source.weighted([
                    (3, 1), (2, .nan), (1.5, -0.0), (1, 0), (1, .infinity), (1, -.nan),
                ]) * (source.chance(0.5) ? 1 : source.variance(varianceType, eps: eps, .moderate))
            }
            // A non-finite Python float stands for a var whose every element is that value.
            let scalar =
                environment.speaksProtocol2 && environment.scalarVariance && profile.acceptsScalarVariance
                && source.chance(0.25)
            let scalarValue = scalar ? source.element([Double.nan, .infinity, -.infinity]) : 0
            var call = LossCase(
                input: source.tensor(inputType, input) { $0.value(inputType, .plain) },
                target: source.tensor(targetType, input) { $0.value(targetType, .plain) },
                variance: scalar ? .scalar(scalarValue) : .tensor(variance), full: source.chance(0.5), eps: eps,
                reduction: source.weighted([(3, "none"), (1, "mean"), (1, "sum")]))
            source.maybeRequestGradients(&call, environment, probability: 0.5, partial: 0.2)
            return Trial(calls: [call]) { check in
                check.judgeAll()
                guard call.reduction == "none", let loss = check.result(0)?.loss, loss.shape.count > 0 else { return }
                if scalar {
                    if scalarValue.isNaN, let element = loss.values.firstIndex(where: { !$0.isNaN }) {
                        check.fail("var is NaN, but loss[\(element)] = \(loss.values[element]), not NaN")
                    }
                    return
                }
                // Each 'none' element that reads a NaN var entry is NaN: the entry's sample in torch-1.8, the
                // elements it broadcasts to otherwise.
                let groups: [[Int]]
                if profile.sumsPerSample {
                    let width = Swift.max(input.count / Swift.max(input.dims[0], 1), 1)
                    groups = (0..<input.count).map { [$0 / width] }
                } else {
                    groups = BroadcastMap.groups(operand: varianceShape, result: input)
                }
                for (position, value) in variance.values.enumerated() where value.isNaN {
                    for element in groups[position] where element < loss.values.count && !loss.values[element].isNaN {
                        check.fail("var[\(position)] is NaN, but loss[\(element)] = \(loss.values[element]), not NaN")
                        return
                    }
                }
            }
        }
    }
}
