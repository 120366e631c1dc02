internal import Conformance
internal import GaussianNLL
internal import Judge

extension PropertySuite {
    /// The loss dtype follows promotion, with 0-d operands counting less.
    static func promotion(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.dtype.promotion", category: "dtype",
            title: "The loss has the promoted dtype of input − target and var, where a 0-d operand counts less than "
                + "a dimensioned one; each gradient has its operand's dtype",
            database: database,
            requirement: { $0.mixedDtypes && $0.dtypes.count > 1 ? nil : "the candidate takes no mixed dtypes" }
        ) { source, environment in
            let types = (0..<3).map { _ in source.dtype(environment) }
            let dimensioned = source.shape(rank: 1...3, maximumElements: 12, zeroWeight: 0)
            let row = Shape([dimensioned.dims.last ?? 2])
            let scenario = source.int(in: 0...5)
            let input: Shape
            let target: Shape
            var varianceShape: Shape?
            switch scenario {
            case 0:
                (input, target, varianceShape) = (dimensioned, dimensioned, dimensioned)
            case 1:
                // 0-d input and var against a dimensioned target: both count less than target.
                (input, target, varianceShape) = ([], dimensioned, [])
            case 2:
                // A 0-d target.
                (input, target, varianceShape) = (dimensioned, [], dimensioned)
            case 3:
                // A 0-d var for a 1-D input: unsqueezed to (1,), so it no longer counts less.
                (input, target, varianceShape) = (row, row, [])
            case 4:
                (input, target, varianceShape) = ([], [], [])
            default:
                (input, target, varianceShape) = (dimensioned, dimensioned, nil)
            }
            if varianceShape == nil && !environment.scalarVariance { varianceShape = dimensioned }
            let eps = source.eps(.usual)
            let variance: Variance =
                varianceShape.map { shape in
                    .tensor(
                        source.tensor(types[2], shape) {
                            $0.variance(types[2], eps: eps, shape.rank == 0 ? .exact : .moderate)
                        })
                } ?? .scalar(source.variance(types[0], eps: eps, .moderate))
            // A 0-d operand of a wider dtype is rounded to the narrower common dtype before the subtraction, which
            // the oracle does not model yet: 0-d operands get values every dtype holds (small integers, eighths).
            func operand(_ dtype: DType, _ shape: Shape) -> Tensor {
                source.tensor(dtype, shape) { $0.value(dtype, shape.rank == 0 ? .exact : .plain) }
            }
            var call = LossCase(
                input: operand(types[0], input), target: operand(types[1], target), variance: variance,
                full: source.chance(0.5), eps: eps, reduction: source.reduction())
            source.maybeRequestGradients(&call, environment, probability: 0.6)
            return Trial(calls: [call])
        }
    }

    /// 16-bit reductions are as accurate as float32 accumulation makes them.
    static func halfAccumulation(_ database: RegressionDatabase?) -> Property {
        Property(
            id: "property.dtype.half_accumulation", category: "dtype",
            title: "float16 and bfloat16 'sum' and 'mean' over 256 to 4096 elements, and a broadcast var's gradient, "
                + "are as accurate as float32 accumulation makes them",
            database: database,
            caseCount: { Swift.max($0 / 10, 5) },
            requirement: { $0.halfTypes.isEmpty ? "the candidate has no 16-bit dtype" : nil }
        ) { source, environment in
            let dtype = source.element(environment.halfTypes)
            // Few long rows, or many short ones (torch-1.8 reduces its per-sample sums over the rows).
            let count = source.int(in: 256...4096)
            let short = source.element([1, 2, 4, 8])
            let input: Shape = source.chance(0.5) ? [count / short, short] : [short, count / short]
            let center = Double(source.int(in: 4...16)) / 8
            let spread = Double(source.int(in: 0...8)) / 16
            let level = Double(source.int(in: 4...16)) / 8
            let form = source.element([VarianceForm.dropLastUnit, .dropLast, .same])
            let varianceShape = source.varianceShape(form, input: input) ?? input
            // The values come from one seed, so the case stays a short choice sequence.
            var values = SplitMix64(seed: source.choice(below: 1 << 32))
            func jitter() -> Double { spread * (2 * values.unitInterval() - 1) }
            var call = LossCase(
                input: makeTensor(dtype, input, (0..<input.count).map { _ in center + jitter() }),
                target: makeTensor(dtype, input, Array(repeating: 0, count: input.count)),
                variance: .tensor(
                    makeTensor(dtype, varianceShape, (0..<varianceShape.count).map { _ in level + jitter() / 2 })),
                full: source.chance(0.3), reduction: source.element(["sum", "mean"]))
            source.maybeRequestGradients(&call, environment, probability: 0.5)
            return Trial(calls: [call])
        }
    }
}
