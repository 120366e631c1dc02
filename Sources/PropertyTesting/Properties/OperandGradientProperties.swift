internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// A call the oracle accepts, with gradients for every operand: drawn from `recipe` (up to eight draws), or a
    /// small fixed call when none of them is accepted.
    static func acceptedGradientCall(
        _ source: inout ChoiceSource, _ recipe: CallRecipe, _ environment: GenerationEnvironment
    ) -> LossCase {
        for _ in 0..<8 {
            var call = source.call(recipe, environment)
            source.requestGradients(&call, profile: environment.profile)
            if call.wantsGradients { return call }
        }
        let dtype = environment.dtypes.first ?? .float32
        var call = LossCase(
            input: makeTensor(dtype, [2, 2], [0.5, -1, 2, 0]), target: makeTensor(dtype, [2, 2], [0, 0, 1, 1]),
            variance: .tensor(makeTensor(dtype, [2, 2], [1, 2, 0.5, 1])), reduction: "sum")
        call.gradOutput = .scalar(1, dtype: dtype)
        return call
    }

    /// Whether two values are the same bits, NaN payloads aside.
    static func sameBits(_ a: Double, _ b: Double) -> Bool {
        (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
    }

    /// Metamorphic: an operand's gradient does not depend on whether the other operands require grad.
    static func gradientsIndependentOfRequiresGrad(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.gradient.requires_grad_independent", category: "gradient",
            title: "With only some operands requiring grad (protocol 2), gradients are present exactly for those "
                + "operands, and each is bitwise the gradient the operand gets when every operand requires grad",
            database: database, requirement: needsGradients
        ) { source, environment in
            var recipe = reductionRecipe()
            recipe.ranks = 0...3
            recipe.maximumElements = 24
            let all = acceptedGradientCall(&source, recipe, environment)
            var some = all
            // Every case needs protocol 2, also for a protocol 1 candidate, which then skips it as needing it.
            ChoiceSource.requireGrad(&some, source.someOperands(of: all))
            // The partial call comes first: it is the one a failure report shows as the case.
            return Trial(calls: [some, all]) { check in
                check.judgeAll()
                guard let partial = check.result(0), let full = check.result(1) else { return }
                let wanted = some.gradientOperands
                let present = partial.gradients?.present ?? .none
                guard present == wanted else {
                    check.fail("call 1: gradients are present for \(present), but exactly \(wanted) require grad")
                    return
                }
                let pairs: [(String, Tensor?, Tensor?)] = [
                    ("grad_input", full.gradients?.input, partial.gradients?.input),
                    ("grad_target", full.gradients?.target, partial.gradients?.target),
                    ("grad_var", full.gradients?.variance, partial.gradients?.variance),
                ]
                for (name, every, only) in pairs {
                    guard let every, let only else { continue }
                    guard every.dtype == only.dtype, every.shape == only.shape else {
                        check.fail(
                            "\(name) is \(only.dtype) \(only.shape) when only \(wanted) require grad, but "
                                + "\(every.dtype) \(every.shape) when every operand does")
                        return
                    }
                    if let position = every.values.indices.first(where: {
                        !sameBits(every.values[$0], only.values[$0])
                    }) {
                        check.fail(
                            "\(name)[\(position)] is \(only.values[position]) when only \(wanted) require grad, but "
                                + "\(every.values[position]) when every operand does: a gradient must not depend on "
                                + "which other operands require grad")
                        return
                    }
                }
            }
        }
    }

    /// A broadcast target's gradient that cancels exactly is +0.0, as PyTorch's negate-then-sum gives it.
    static func broadcastTargetZeroSign(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.gradient.broadcast_target_zero_sign", category: "gradient",
            title: "A broadcast target's gradient that sums to exactly zero is +0.0, as PyTorch gives it (it negates "
                + "the gradient element by element, then sums from +0.0), never −0.0",
            database: database, requirement: needsGradients
        ) { source, environment in
            let dtype = source.dtype(environment)
            let input = source.shape(rank: 1...3, maximumElements: 24, zeroWeight: 0)
            var target: Shape
            switch source.int(in: 0...2) {
            case 0:
                target = []
            case 1:
                var dims = input.dims.map { source.chance(0.5) ? 1 : $0 }
                if dims == input.dims, let axis = dims.firstIndex(where: { $0 > 1 }) { dims[axis] = 1 }
                target = Shape(dims)
            default:
                target = Shape(Array(input.dims.dropFirst(source.int(in: 1...input.rank))))
            }
            if target == input { target = [] }
            // Small eighths, a power-of-two var and a small grad_output: every product and partial sum is exact,
            // so a group whose differences come in ± pairs sums to exactly zero in any order.
            let targetValues = (0..<target.count).map { _ in Double(source.int(in: -16...16)) / 8 }
            var inputValues = [Double](repeating: 0, count: input.count)
            for (offset, members) in BroadcastMap.groups(operand: target, result: input).enumerated() {
                let center = targetValues[offset]
                let cancels = source.chance(0.75)
                var position = 0
                while position < members.count {
                    let spread = Double(source.int(in: 0...16)) / 8
                    if cancels && position + 1 < members.count {
                        inputValues[members[position]] = center + spread
                        inputValues[members[position + 1]] = center - spread
                        position += 2
                    } else {
                        inputValues[members[position]] = cancels ? center : center + spread
                        position += 1
                    }
                }
            }
            let level = source.element([1, 2, 0.5, 4])
            var call = LossCase(
                input: makeTensor(dtype, input, inputValues), target: makeTensor(dtype, target, targetValues),
                variance: .tensor(makeTensor(dtype, input, [Double](repeating: level, count: input.count))),
                full: source.chance(0.5), reduction: source.element(["sum", "none"]))
            let scale = source.element([1, 2, 0.5, -1, 3])
            if case .success(let result) = Reference.evaluate(call, profile: environment.profile) {
                call.gradOutput = makeTensor(
                    result.loss.dtype, result.loss.shape, [Double](repeating: scale, count: result.loss.shape.count))
            }
            return Trial(calls: [call]) { check in
                check.judgeAll()
                guard let gradient = check.result(0)?.gradients?.target,
                    let exact = check.exact(0)?.gradients?.target
                else { return }
                for (position, element) in exact.elements.enumerated()
                where element.value == 0 && position < gradient.values.count {
                    let value = gradient.values[position]
                    if value == 0 && value.sign == .minus {
                        check.fail(
                            "grad_target[\(position)] is −0.0, but target \(target) is broadcast to \(input) and its "
                                + "gradient sums to exactly zero: PyTorch gives +0.0 (it negates, then sums)")
                        return
                    }
                }
            }
        }
    }
}
