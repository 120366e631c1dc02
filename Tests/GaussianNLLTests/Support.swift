import Foundation

@testable import GaussianNLL

/// A tensor from literal values; the test fails loudly (by trapping) on a malformed literal.
func tensor(_ values: [Double], _ shape: Shape? = nil, _ dtype: DType = .float32) -> Tensor {
    try! Tensor(dtype: dtype, shape: shape ?? [values.count], values: values)
}

/// A call with a tensor var.
func call(
    _ input: Tensor, _ target: Tensor, _ variance: Tensor, full: Bool = false, eps: Double = 1e-6,
    reduction: String = "mean", gradOutput: Tensor? = nil
) -> LossCase {
    LossCase(
        input: input, target: target, variance: .tensor(variance), full: full, eps: eps, reduction: reduction,
        gradOutput: gradOutput)
}

extension LossOutcome {
    var result: LossResult? {
        if case .success(let result) = self { return result }
        return nil
    }
    var rejection: Rejection? {
        if case .rejection(let rejection) = self { return rejection }
        return nil
    }
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

/// SplitMix64: a tiny portable generator, so that test cases are the same on every machine.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A double in [0, 1) from the top 53 bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// A random well-conditioned call: values of moderate size, var in [1e-3, 1e3].
func randomCall(_ generator: inout SplitMix64, dtype: DType, withGradients: Bool) -> LossCase {
    let rank = generator.below(4)
    let shape = Shape((0..<rank).map { _ in 1 + generator.below(5) })
    let count = (try? shape.elementCount()) ?? 1
    func values(_ make: (inout SplitMix64) -> Double) -> [Double] { (0..<count).map { _ in make(&generator) } }
    let input = try! Tensor(dtype: dtype, shape: shape, values: values { 8 * $0.unit() - 4 })
    let target = try! Tensor(dtype: dtype, shape: shape, values: values { 8 * $0.unit() - 4 })
    let variance = try! Tensor(
        dtype: dtype, shape: shape, values: values { Foundation.exp(13.8 * $0.unit() - 6.9) })
    let reduction = ["none", "mean", "sum"][generator.below(3)]
    var call = LossCase(
        input: input, target: target, variance: .tensor(variance), full: generator.below(2) == 1,
        reduction: reduction)
    if withGradients {
        call.gradOutput =
            reduction == "none"
            ? try! Tensor(dtype: dtype, shape: shape, values: values { 2 * $0.unit() - 1 })
            : .scalar(1, dtype: dtype)
    }
    return call
}
