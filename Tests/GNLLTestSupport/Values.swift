public import GaussianNLL

/// A tensor from literal values; the test fails loudly (by trapping) on a malformed literal.
public func tensor(_ values: [Double], _ shape: Shape? = nil, _ dtype: DType = .float32) -> Tensor {
    try! Tensor(dtype: dtype, shape: shape ?? [values.count], values: values)
}

/// Whether two tensors have the same dtype, shape and element bits (NaN payloads included).
public func sameBits(_ a: Tensor?, _ b: Tensor?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.dtype == b.dtype && a.shape == b.shape && a.littleEndianBytes == b.littleEndianBytes
}

/// Whether two calls are the same bit for bit.
public func sameBits(_ a: LossCase, _ b: LossCase) -> Bool {
    let variance: Bool
    switch (a.variance, b.variance) {
    case (.tensor(let x), .tensor(let y)): variance = sameBits(x, y)
    case (.scalar(let x), .scalar(let y)): variance = x.bitPattern == y.bitPattern
    default: variance = false
    }
    return sameBits(a.input, b.input) && sameBits(a.target, b.target) && variance && a.full == b.full
        && a.eps.bitPattern == b.eps.bitPattern && a.reduction == b.reduction && sameBits(a.gradOutput, b.gradOutput)
}

/// Whether two outcomes are the same bit for bit (a rejection's exception type is not compared).
public func sameBits(_ a: LossOutcome, _ b: LossOutcome) -> Bool {
    switch (a, b) {
    case (.rejection(let x), .rejection(let y)):
        return x.kind == y.kind && x.message == y.message
    case (.success(let x), .success(let y)):
        guard sameBits(x.loss, y.loss) else { return false }
        switch (x.gradients, y.gradients) {
        case (nil, nil): return true
        case (let g?, let h?):
            return sameBits(g.input, h.input) && sameBits(g.target, h.target) && sameBits(g.variance, h.variance)
        default: return false
        }
    default:
        return false
    }
}
