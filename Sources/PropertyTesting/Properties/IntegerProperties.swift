internal import Conformance
internal import GaussianNLL
internal import Judge

extension ChoiceSource {
    /// A value for an integer or bool operand: mostly small integers; some whose difference or square leaves
    /// int32 (or int64), so that it wraps around; some across the whole range the suite holds.
    mutating func integerValue(_ dtype: DType) -> Double {
        if dtype == .bool { return Double(int(in: 0...1)) }
        switch weighted([(6, 0), (2, 1), (1.5, 2), (1, 3)]) {
        case 0:
            return Double(int(in: -4...4))
        case 1:
            // Squares beyond float16 and int32 (50000² wraps in int32).
            return signed(Double(int(in: 1000...70000)))
        case 2:
            // Differences that wrap in int32; in int64, squares that wrap (2^33 squared is 2^66).
            if dtype == .int32 { return element([2_147_483_647, -2_147_483_648, 2_147_483_646, -2_147_483_647]) }
            return signed(Double(int(in: 1...8)) * 0x1p32)
        default:
            if dtype == .int32 { return signed(Double(int(in: 0...2_147_483_647))) }
            return signed(Double(choice(below: 1 << 53)))
        }
    }
}

extension PropertySuite {
    /// Integer and bool operands (protocol 2): promotion, wraparound, and the rejections of an integral var and of
    /// bool in the subtraction.
    static func integerOperands(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.dtype.integer_operands", category: "dtype",
            title: "Integer input and target (int32, int64, protocol 2) with a floating var give PyTorch's loss: "
                + "promoted dtypes with 0-d operands counting less, input − target and its square wrapping around in "
                + "the integer type, a Python-float var taking float32; an integer or bool var and a bool operand of "
                + "the subtraction are rejected (kind type)",
            database: database, requirement: { $0.integerOperandsUnsupported }
        ) { source, environment in
            let profile = environment.profile
            // A protocol 1 candidate still gets the cases (each skipped as needing protocol 2), so the check is
            // named among those that did not run.
            let declared = environment.speaksProtocol2 ? environment.integralTypes : [.int32, .int64, .bool]
            let integers = declared.filter { $0 != .bool }
            let hasBool = declared.contains(.bool)
            let floating = environment.dtypes.isEmpty ? [DType.float32] : environment.dtypes
            let scenario = source.weighted([(4, 0), (2, 1), (1.5, 2), (hasBool ? 1.5 : 0, 3)])
            var inputType = source.element(integers)
            var targetType = source.element(integers)
            var varianceType = source.element(floating)
            switch scenario {
            case 1:
                // One integral operand of the subtraction beside a floating one.
                if source.chance(0.5) {
                    inputType = source.element(floating)
                } else {
                    targetType = source.element(floating)
                }
            case 2:
                // An integer or bool var: rejected where the clamp writes its float result back.
                varianceType = source.element(declared)
                if source.chance(0.3) { inputType = source.element(floating) }
            case 3:
                // bool in the subtraction.
                switch source.int(in: 0...2) {
                case 0: inputType = .bool
                case 1: targetType = .bool
                default: (inputType, targetType) = (.bool, .bool)
                }
            default:
                break
            }
            let dims = source.shape(rank: 1...3, maximumElements: 12, zeroWeight: 0)
            // 0-d operands count less in the promotion (not in torch-1.8, whose views reject them).
            let zeroDimensional = !profile.sumsPerSample
            let inputShape: Shape = zeroDimensional && source.chance(0.2) ? [] : dims
            let targetShape: Shape = zeroDimensional && source.chance(0.2) ? [] : dims
            let eps = source.eps(.usual)
            let variance: Variance
            if scenario != 2 && environment.scalarVariance && profile.acceptsScalarVariance && source.chance(0.15) {
                variance = .scalar(source.variance(.float32, eps: eps, .moderate))
            } else {
                let form = inputShape.rank == 0 ? VarianceForm.same : source.element([VarianceForm.same, .dropLast])
                let shape = source.varianceShape(form, input: inputShape) ?? inputShape
                let type = varianceType
                variance = .tensor(
                    source.tensor(type, shape) { source in
                        type.isFloatingPoint
                            ? source.variance(type, eps: eps, .moderate)
                            : Double(source.int(in: type == .bool ? 0...1 : 0...3))
                    })
            }
            func operand(_ dtype: DType, _ shape: Shape) -> Tensor {
                source.tensor(dtype, shape) { dtype.isFloatingPoint ? $0.value(dtype, .plain) : $0.integerValue(dtype) }
            }
            var call = LossCase(
                input: operand(inputType, inputShape), target: operand(targetType, targetShape), variance: variance,
                full: source.chance(0.5), eps: eps, reduction: source.reduction())
            source.maybeRequestGradients(&call, environment, probability: 0.5)
            return Trial(calls: [call])
        }
    }
}
