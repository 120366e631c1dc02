/// A request for derivatives beyond the gradients: a Hessian-vector product, a forward-mode directional
/// derivative, or both, along one tangent per operand that requires grad.
///
/// PyTorch's answers, which the reference and the oracle reproduce:
/// - `hvp` is `torch.autograd.grad(first_order_gradients, operands, tangents)` with the first-order gradients
///   taken with `create_graph=True` and `grad_output`: for each operand that requires grad, Σ over the operands
///   of tangent · ∂(its gradient)/∂(operand). The clamp of var is not differentiated: its clamped value is used,
///   and the derivative flows to var as if unclamped, as at first order.
/// - `jvp` is `torch.func.jvp(f, operands, tangents)`: the directional derivative of the loss (its shape and
///   dtype). Forward mode does differentiate the in-place clamp (no_grad does not apply to it): var's tangent
///   counts only where var passes the clamp's test, `var > eps` from torch 2.14 on and `var >= eps` before, so
///   never where var is NaN, nor anywhere when eps is NaN.
public struct HigherOrderRequest: Sendable, Equatable {
    /// One tangent per operand in ``LossCase/gradientOperands``, each with its operand's shape and dtype.
    public var tangents: OperandTensors
    /// Whether the Hessian-vector product is wanted.
    public var hvp: Bool
    /// Whether the forward-mode directional derivative of the loss is wanted.
    public var jvp: Bool

    public init(tangents: OperandTensors, hvp: Bool = true, jvp: Bool = true) {
        self.tangents = tangents
        self.hvp = hvp
        self.jvp = jvp
    }
}

extension LossCase {
    /// What is wrong with the call's ``higherOrder`` request, or `nil` when it is well formed: it needs
    /// `grad_output`, one of hvp or jvp, and a tangent exactly for each operand in ``gradientOperands``, with that
    /// operand's shape and dtype.
    public var higherOrderProblem: String? {
        guard let request = higherOrder else { return nil }
        guard wantsGradients else { return "hvp and jvp need grad_output" }
        guard request.hvp || request.jvp else { return "a higher-order request asks for neither hvp nor jvp" }
        let wanted = gradientOperands
        let operands: [(Operand, Bool, Tensor?, Tensor?)] = [
            (.input, wanted.input, input, request.tangents.input),
            (.target, wanted.target, target, request.tangents.target),
            (.variance, wanted.variance, variance.tensor, request.tangents.variance),
        ]
        for (operand, isWanted, tensor, tangent) in operands {
            switch (isWanted, tangent) {
            case (true, nil): return "no tangent for \(operand), which requires grad"
            case (false, .some): return "a tangent for \(operand), which does not require grad"
            case (true, .some(let tangent)):
                guard let tensor, tangent.shape == tensor.shape, tangent.dtype == tensor.dtype else {
                    return "\(operand)'s tangent must have \(operand)'s shape and dtype"
                }
            case (false, nil): continue
            }
        }
        return nil
    }
}

/// The oracle's exact higher-order derivatives of a call, each element with its error bookkeeping.
public struct ExactHigherOrder: Sendable, Equatable {
    /// The Hessian-vector product, one tensor per operand that requires grad; `nil` when not asked for.
    public var hvp: ExactGradients?
    /// The forward-mode directional derivative of the loss; `nil` when not asked for.
    public var jvp: ExactTensor?

    public init(hvp: ExactGradients?, jvp: ExactTensor?) {
        self.hvp = hvp
        self.jvp = jvp
    }
}
