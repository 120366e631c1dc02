public import GaussianNLL

/// The calls the fuzzer starts from: simple valid calls in every dtype and every var form, with and
/// without gradients, under every reduction.
public enum SeedCases {
    /// The seeds, in a fixed order. Each is valid under every profile that takes its var form (a Python
    /// float var only from torch 2.6 on; the same-rank broadcasting form only from 2.10 on).
    public static func all() -> [LossCase] {
        let forms: [OperandForm] = [.same, .droppedLast, .unsqueezed, .ones, .zeroDimensional, .scalar]
        let reductions = Reduction.allCases.map(\.rawValue)
        var seeds = [LossCase]()
        var index = 0
        for dtype in DType.floatingCases {
            for form in forms {
                // A 0-d var is input.shape[:-1] only for a 1-d input; the broadcasting form needs two axes.
                let input: Shape
                switch form {
                case .zeroDimensional: input = [4]
                case .droppedLast, .unsqueezed, .ones: input = [3, 2]
                default: input = index % 2 == 0 ? [4] : [3, 2]
                }
                seeds.append(
                    call(
                        dtype: dtype, input: input, form: form, reduction: reductions[index % 3],
                        full: index % 4 == 1, gradients: index % 2 == 0))
                index += 1
            }
        }
        // Mixed dtypes, a 0-d call, broadcasting target, and an empty one.
        var mixed = call(dtype: .float32, input: [2, 3], form: .same, reduction: "mean", full: false, gradients: true)
        mixed.target = mixed.target.converted(to: .float64)
        mixed.variance = .tensor(mixed.variance.tensor!.converted(to: .float16))
        mixed.gradOutput = mixed.gradOutput?.converted(to: .float64)
        seeds.append(mixed)
        seeds.append(call(dtype: .float64, input: [], form: .same, reduction: "sum", full: true, gradients: true))
        var broadcast = call(
            dtype: .float32, input: [2, 3], form: .same, reduction: "none", full: false, gradients: true)
        broadcast.target = (try? Tensor(dtype: .float32, shape: [3], values: [0.5, -1, 2])) ?? broadcast.target
        seeds.append(broadcast)
        seeds.append(
            call(dtype: .float32, input: [0, 2], form: .same, reduction: "mean", full: false, gradients: true))
        return seeds
    }

    /// A plain valid call: values in [-2, 2] for input and target, var in [0.5, 2.5].
    static func call(
        dtype: DType, input shape: Shape, form: OperandForm, reduction: String, full: Bool, gradients: Bool
    ) -> LossCase {
        func tensor(_ shape: Shape, _ value: (Int) -> Double) -> Tensor {
            let count = (try? shape.elementCount()) ?? 0
            return (try? Tensor(dtype: dtype, shape: shape, values: (0..<count).map(value))) ?? .scalar(0, dtype: dtype)
        }
        let input = tensor(shape) { Double($0 % 5) * 0.75 - 1.5 }
        let target = tensor(shape) { Double(($0 * 3) % 7) * 0.5 - 1.25 }
        let variance: Variance
        switch form {
        case .scalar:
            variance = .scalar(0.75)
        case .ones where shape.rank >= 2:
            var dims = shape.dims
            dims[0] = 1
            variance = .tensor(tensor(Shape(dims)) { 0.5 + Double($0 % 4) * 0.625 })
        default:
            var random = SplitMix64(seed: 0)
            variance = .tensor(tensor(form.shape(for: shape, random: &random)) { 0.5 + Double($0 % 4) * 0.625 })
        }
        var call = LossCase(input: input, target: target, variance: variance, full: full, reduction: reduction)
        if gradients {
            let loss = Reference.evaluate(call, profile: .current)
            if case .success(let result) = loss {
                call.gradOutput = tensor(result.loss.shape) { 1 - Double($0 % 3) * 0.5 }
            } else {
                call.gradOutput = Tensor.scalar(1, dtype: dtype)
            }
        }
        return call
    }
}
