extension LossCase {
    /// The same call with some operands or options replaced; `gradOutput`, `requiresGrad` and `higherOrder` are kept as they are.
    ///
    /// ```swift
    /// let summed = call.with(reduction: "sum")
    /// let clamped = call.with(variance: call.variance.map { max($0, call.eps) })
    /// ```
    public func with(
        input: Tensor? = nil, target: Tensor? = nil, variance: Variance? = nil, full: Bool? = nil, eps: Double? = nil,
        reduction: String? = nil
    ) -> LossCase {
        LossCase(
            input: input ?? self.input, target: target ?? self.target, variance: variance ?? self.variance,
            full: full ?? self.full, eps: eps ?? self.eps, reduction: reduction ?? self.reduction,
            gradOutput: gradOutput, requiresGrad: requiresGrad, higherOrder: higherOrder)
    }
}
