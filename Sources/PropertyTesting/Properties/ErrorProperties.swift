internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// Each error kind is raised where the profile raises it, in the profile's order.
    static func errorPrecedence(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.errors.precedence", category: "errors",
            title: "Calls that break one or more rules at once (negative var, wrong var size, invalid reduction, "
                + "target that does not broadcast, Python-float var, 2.10's unbroadcastable var) are rejected with "
                + "the kind the profile raises first",
            database: database
        ) { source, environment in
            let (inputType, targetType, varianceType) = source.operandTypes(environment, mixed: 0.1)
            let input = Shape(
                source.shape(rank: 1...3, maximumElements: 24, zeroWeight: 0).dims.map { Swift.max($0, 2) })
            // Each rule broken with probability 0.35, at least one; shrinks toward a negative var alone.
            var rules = Set((0...5).filter { _ in source.chance(0.35) })
            if rules.isEmpty { rules.insert(source.int(in: 0...5)) }
            let negative = rules.contains(0)
            let wrongSize = rules.contains(1)
            let badReduction = rules.contains(2)
            let badTarget = rules.contains(3)
            let scalar = rules.contains(4) && environment.scalarVariance
            let unbroadcastable = rules.contains(5)

            let eps = source.eps(.usual)
            var variance: Variance
            if scalar {
                variance = .scalar(source.variance(inputType, eps: eps, .moderate))
            } else {
                let form: VarianceForm =
                    wrongSize
                    ? source.element([.wrong, .sameRankTwoUnits]) : unbroadcastable ? .sameRankZeroUnit : .same
                let shape = source.varianceShape(form, input: input) ?? Shape(input.dims.map { $0 + 1 })
                variance = .tensor(
                    source.tensor(varianceType, shape) { $0.variance(varianceType, eps: eps, .moderate) })
            }
            if negative { variance = source.withNegativeEntry(variance) }
            let target = badTarget ? source.targetShape(.mismatched, input: input) : input
            let call = LossCase(
                input: source.tensor(inputType, input) { $0.value(inputType, .plain) },
                target: source.tensor(targetType, target) { $0.value(targetType, .plain) },
                variance: variance, full: source.chance(0.5), eps: eps,
                reduction: badReduction ? source.invalidReduction() : source.reduction())
            return Trial(calls: [call])
        }
    }

    /// Random calls of every kind, judged against the oracle.
    static func randomOracle(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.random.oracle", category: "random",
            title: "Random calls (ranks 0 to 6, every var and target form, mixed dtypes, special values, odd eps and "
                + "reductions) match the oracle",
            database: database
        ) { source, environment in
            Trial(calls: [source.call(.standard, environment)])
        }
    }
}
