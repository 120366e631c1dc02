internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// A var that broadcasts gives the loss and gradients of the same var expanded to input's shape.
    static func homoscedasticEqualsExpanded(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.broadcast.homoscedastic_equals_expanded", category: "broadcast",
            title: "A broadcasting (homoscedastic) var gives the loss of the same var expanded to input's shape; "
                + "its gradient is the expanded gradient summed back",
            database: database
        ) { source, environment in
            let profile = environment.profile
            let (inputType, targetType, varianceType) = source.operandTypes(environment, mixed: 0.15)
            let input = source.shape(rank: 1...4, maximumElements: 48, zeroWeight: 0.03)
            let rows = input.dims[0]
            var forms: [Shape] = [input.droppingLast.appendingUnitAxis, input.droppingLast]
            if let sameRank = source.varianceShape(.sameRankUnit, input: input) { forms.append(sameRank) }
            if profile.sumsPerSample {
                forms += [Shape([rows]), Shape([rows] + Array(repeating: 1, count: input.rank - 1))]
            }
            var varianceShape = source.element(forms)
            let accepted =
                profile.sumsPerSample
                ? effectiveVarianceShape(varianceShape, input: input, profile: profile) != nil
                : profile.acceptsVarianceShape(varianceShape, input: input)
            if !accepted || effectiveVarianceShape(varianceShape, input: input, profile: profile) == nil {
                varianceShape = profile.sumsPerSample ? Shape([rows]) : input.droppingLast.appendingUnitAxis
            }
            let effective = effectiveVarianceShape(varianceShape, input: input, profile: profile) ?? input
            let eps = source.eps(.usual)
            let variance = source.tensor(varianceType, varianceShape) { $0.variance(varianceType, eps: eps, .wide) }
            let expanded = makeTensor(
                varianceType, input, BroadcastMap.expand(variance.values, operand: effective, result: input))
            var call = LossCase(
                input: source.tensor(inputType, input) { $0.value(inputType, .plain) },
                target: source.tensor(targetType, input) { $0.value(targetType, .plain) },
                variance: .tensor(variance), full: source.chance(0.5), eps: eps, reduction: source.reduction())
            source.maybeRequestGradients(&call, environment, probability: 0.8)
            let groups = BroadcastMap.groups(operand: effective, result: input)
            return Trial(calls: [call, call.with(variance: .tensor(expanded))]) { check in
                check.judgeAll()
                check.expectSameOutputs(
                    "var \(varianceShape) vs expanded", 0, 1, kinds: [.loss, .gradInput, .gradTarget])
                check.expectSums(
                    "var \(varianceShape) vs expanded", check.output(.gradVar, of: 0), check.output(.gradVar, of: 1),
                    groups: groups)
            }
        }
    }

    /// Every var shape is accepted or rejected as the profile's rule says, rejected ones with kind var_size.
    static func varianceShapeRule(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.broadcast.var_shape_rule", category: "broadcast",
            title: "Each var shape (same, [:-1], [:-1]+(1,), the 2.10 same-rank forms, 0-d, square-input traps, "
                + "wrong shapes) is accepted or rejected (var_size) exactly as the profile's rule says",
            database: database
        ) { source, environment in
            var recipe = CallRecipe.plain
            recipe.ranks = 0...4
            recipe.zeroWeight = 0.05
            recipe.square = 0.3
            recipe.targetForms = [(1, .same)]
            recipe.varianceForms = VarianceForm.allCases.map { (1, $0) }
            recipe.variances = .wide
            recipe.gradients = 0.4
            return Trial(calls: [source.call(recipe, environment)])
        }
    }

    /// Target broadcasting: 'none' has the broadcast shape, 'sum' adds it up and 'mean' divides by its count.
    static func targetBroadcast(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.broadcast.target_broadcast", category: "broadcast",
            title: "A broadcasting target gives a 'none' loss of the broadcast shape (even larger than input); "
                + "'sum' adds it up and 'mean' divides by its element count",
            database: database
        ) { source, environment in
            var recipe = CallRecipe.plain
            recipe.ranks = 0...4
            recipe.maximumElements = 32
            recipe.targetForms = [
                (1, .same), (2, .suffix), (2, .unitExtents), (3, .larger), (1, .zeroDimensional), (0.5, .mismatched),
                (2, .sameView),
            ]
            recipe.varianceForms = [(3, .same), (1, .dropLastUnit), (1, .scalar)]
            recipe.reductions = ["none"]
            recipe.gradients = 0
            var none = source.call(recipe, environment)
            // Give input some size-1 extents, so that the larger-target form has room.
            if source.chance(0.3), none.input.shape.rank > 0 {
                let dims = none.input.shape.dims.map { _ in source.chance(0.5) ? 1 : source.extent() }
                let input = Shape(dims)
                let targetShape = source.targetShape(.larger, input: input)
                none.input = source.tensor(none.input.dtype, input) { $0.value(none.input.dtype, .plain) }
                none.target = source.tensor(none.target.dtype, targetShape) { $0.value(none.target.dtype, .plain) }
                if case .tensor(let variance) = none.variance {
                    none.variance = .tensor(
                        source.tensor(variance.dtype, input) { $0.variance(variance.dtype, eps: none.eps, .moderate) })
                }
            }
            var calls = [none, none.with(reduction: "mean"), none.with(reduction: "sum")]
            for index in calls.indices { source.maybeRequestGradients(&calls[index], environment, probability: 0.5) }
            return Trial(calls: calls) { check in
                check.judgeAll()
                guard let unreduced = check.output(.loss, of: 0), !unreduced.tensor.values.isEmpty,
                    let mean = check.output(.loss, of: 1), let sum = check.output(.loss, of: 2)
                else { return }
                let count = unreduced.tensor.values.count
                let terms = (0..<count).map { TrialCheck.Term(output: unreduced, position: $0) }
                check.expectAgreement("sum of the 'none' loss", value: sum, at: 0, terms: terms)
                check.expectAgreement(
                    "mean over the \(count) broadcast elements", value: mean, at: 0,
                    terms: terms.map { term in
                        var scaled = term
                        scaled.factor = 1 / Double(count)
                        return scaled
                    })
            }
        }
    }

    /// A var of shape `input.shape[:-1]` on a square input applies per row, not per column as NumPy would.
    static func squareRows(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.broadcast.square_rows", category: "broadcast",
            title: "On a square input, a var of shape input.shape[:-1] applies per row (unsqueezed at -1), "
                + "not per column as NumPy broadcasting would",
            database: database
        ) { source, environment in
            let profile = environment.profile
            let (inputType, targetType, varianceType) = source.operandTypes(environment, mixed: 0.1)
            let side = source.int(in: 2...5)
            let lead = profile.sumsPerSample ? [] : (0..<source.int(in: 0...2)).map { _ in source.int(in: 1...3) }
            let input = Shape(lead + [side, side])
            let eps = source.eps(.usual)
            let variance = source.tensor(varianceType, input.droppingLast) {
                $0.variance(varianceType, eps: eps, .wide)
            }
            let effective = input.droppingLast.appendingUnitAxis
            let perRow = makeTensor(
                varianceType, input, BroadcastMap.expand(variance.values, operand: effective, result: input))
            var call = LossCase(
                input: source.tensor(inputType, input) { $0.value(inputType, .plain) },
                target: source.tensor(targetType, input) { $0.value(targetType, .plain) },
                variance: .tensor(variance), full: source.chance(0.5), eps: eps, reduction: source.reduction())
            source.maybeRequestGradients(&call, environment, probability: 0.7)
            let groups = BroadcastMap.groups(operand: effective, result: input)
            return Trial(calls: [call, call.with(variance: .tensor(perRow))]) { check in
                check.judgeAll()
                check.expectSameOutputs("var per row", 0, 1, kinds: [.loss, .gradInput, .gradTarget])
                check.expectSums(
                    "var per row", check.output(.gradVar, of: 0), check.output(.gradVar, of: 1), groups: groups)
            }
        }
    }
}
