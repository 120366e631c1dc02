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
