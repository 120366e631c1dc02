internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// Random calls with a Hessian-vector product and/or forward-mode request, judged against the oracle.
    static func higherOrderOracle(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.higher_order.oracle", category: "higher_order",
            title: "hvp and jvp (protocol 2 features) of random calls, along random tangents, match the oracle "
                + "within the tolerance model: every declared dtype, broadcast var and target, every reduction, var "
                + "below, at and above eps, full, partial requires_grad, non-finite eps",
            database: database, requirement: needsGradients
        ) { source, environment in
            Trial(calls: [higherOrderCall(&source, environment)]) { check in check.judgeAll() }
        }
    }

    /// A call the oracle accepts with gradients, then asked for hvp and/or jvp along random tangents of the
    /// operands that require grad. A candidate that declares one of the two features is asked for that one; one
    /// that declares neither gets the calls anyway, and the suite skips each as needing the feature.
    static func higherOrderCall(_ source: inout ChoiceSource, _ environment: GenerationEnvironment) -> LossCase {
        var recipe = CallRecipe.plain
        recipe.ranks = 0...3
        recipe.maximumElements = 24
        recipe.varianceForms = [
            (4, .same), (1, .dropLast), (1, .dropLastUnit), (1, .sameRankUnit), (0.5, .zeroDimensional), (0.5, .scalar),
        ]
        recipe.targetForms = [(4, .same), (1, .suffix), (1, .larger), (0.5, .unitExtents)]
        recipe.eps = .positive
        recipe.nonFiniteEps = 0.05
        var call = acceptedGradientCall(&source, recipe, environment)
        // var at eps (one of its values) or mostly below it, sometimes; an eps the call then rejects (beyond var's
        // dtype) is put back.
        let drawn = call.eps
        switch source.weighted([(3, 0), (1, 1), (1, 2)]) {
        case 1:
            if let variance = call.variance.tensor, variance.elementCount > 0 {
                call.eps = variance.values[source.index(variance.elementCount)]
            }
        case 2:
            call.eps = source.element([0.5, 2])
        default:
            break
        }
        if Reference.evaluate(call, profile: environment.profile).result == nil { call.eps = drawn }
        source.requirePartialGradients(&call, environment, probability: 0.3)
        let wanted = call.gradientOperands
        func tangent(_ tensor: Tensor?, _ isWanted: Bool) -> Tensor? {
            guard isWanted, let tensor else { return nil }
            return source.tensor(tensor.dtype, tensor.shape) { $0.gradientValue() }
        }
        let tangents = OperandTensors(
            input: tangent(call.input, wanted.input), target: tangent(call.target, wanted.target),
            variance: tangent(call.variance.tensor, wanted.variance))
        let (hvp, jvp): (Bool, Bool)
        switch (environment.hvp, environment.jvp) {
        case (true, false): (hvp, jvp) = (true, false)
        case (false, true): (hvp, jvp) = (false, true)
        default: (hvp, jvp) = source.weighted([(2, (true, true)), (1, (true, false)), (1, (false, true))])
        }
        call.higherOrder = HigherOrderRequest(tangents: tangents, hvp: hvp, jvp: jvp)
        return call
    }
}
