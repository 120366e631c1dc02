import Foundation
import GNLLTestSupport

@testable import GaussianNLL

/// A call with a tensor var.
func call(
    _ input: Tensor, _ target: Tensor, _ variance: Tensor, full: Bool = false, eps: Double = 1e-6,
    reduction: String = "mean", gradOutput: Tensor? = nil
) -> LossCase {
    LossCase(
        input: input, target: target, variance: .tensor(variance), full: full, eps: eps, reduction: reduction,
        gradOutput: gradOutput)
}

/// Whether two values agree to within `ulps` units in the last place of `dtype` (relative), treating
/// NaN as equal to NaN and requiring infinities to match exactly.
func close(_ actual: Double, _ expected: Double, dtype: DType = .float32, ulps: Double = 2) -> Bool {
    if expected.isNaN { return actual.isNaN }
    if expected.isInfinite { return actual == expected }
    let tolerance = ulps * 2 * dtype.unitRoundoff * Swift.max(abs(expected), dtype.leastNormalMagnitude)
    return abs(actual - expected) <= tolerance
}

func close(_ actual: [Double], _ expected: [Double], dtype: DType = .float32, ulps: Double = 2) -> Bool {
    actual.count == expected.count && zip(actual, expected).allSatisfy { close($0, $1, dtype: dtype, ulps: ulps) }
}

extension SplitMix64 {
    /// `next() % n`: the tests' own draw (slightly biased, unlike ``SplitMix64/below(_:)``), kept so that
    /// every seed still gives the cases it gave before.
    mutating func modulo(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// A random well-conditioned call: values of moderate size, var in [1e-3, 1e3].
func randomCall(_ generator: inout SplitMix64, dtype: DType, withGradients: Bool) -> LossCase {
    let rank = generator.modulo(4)
    let shape = Shape((0..<rank).map { _ in 1 + generator.modulo(5) })
    let count = (try? shape.elementCount()) ?? 1
    func values(_ make: (inout SplitMix64) -> Double) -> [Double] { (0..<count).map { _ in make(&generator) } }
    let input = try! Tensor(dtype: dtype, shape: shape, values: values { 8 * $0.unitInterval() - 4 })
    let target = try! Tensor(dtype: dtype, shape: shape, values: values { 8 * $0.unitInterval() - 4 })
    let variance = try! Tensor(
        dtype: dtype, shape: shape, values: values { Foundation.exp(13.8 * $0.unitInterval() - 6.9) })
    let reduction = ["none", "mean", "sum"][generator.modulo(3)]
    var call = LossCase(
        input: input, target: target, variance: .tensor(variance), full: generator.modulo(2) == 1,
        reduction: reduction)
    if withGradients {
        call.gradOutput =
            reduction == "none"
            ? try! Tensor(dtype: dtype, shape: shape, values: values { 2 * $0.unitInterval() - 1 })
            : .scalar(1, dtype: dtype)
    }
    return call
}
