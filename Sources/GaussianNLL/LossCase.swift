/// One call of the loss: the operands and options of `gaussian_nll_loss`, and the `grad_output`
/// for its backward pass when gradients are wanted.
public struct LossCase: Sendable, Equatable {
    /// The predicted mean.
    public var input: Tensor
    /// The observed value.
    public var target: Tensor
    /// The predicted variance: a tensor, or (from torch 2.6 on) a Python float.
    public var variance: Variance
    /// Whether to add the constant 0.5·log(2π).
    public var full: Bool
    /// The clamp floor for the variance. Any `Double`, including 0, negative values and NaN.
    public var eps: Double
    /// The reduction, as passed: only "none", "mean" and "sum" are valid.
    public var reduction: String
    /// The gradient of some scalar with respect to the loss, for the backward pass; `nil` when no
    /// gradients are wanted. It has the loss's shape and dtype.
    public var gradOutput: Tensor?
    /// Which operands require grad, when gradients are wanted. An operand of an integer dtype or bool never
    /// does, nor a scalar var, whatever this says: ``gradientOperands`` is what the call asks for.
    public var requiresGrad: RequiresGrad
    /// Second-order and forward-mode derivatives wanted beside the gradients, with their tangents; `nil` for none.
    /// Only a call with `grad_output` can ask for them.
    public var higherOrder: HigherOrderRequest?

    public init(
        input: Tensor, target: Tensor, variance: Variance, full: Bool = false, eps: Double = 1e-6,
        reduction: String = "mean", gradOutput: Tensor? = nil, requiresGrad: RequiresGrad = .all,
        higherOrder: HigherOrderRequest? = nil
    ) {
        self.input = input
        self.target = target
        self.variance = variance
        self.full = full
        self.eps = eps
        self.reduction = reduction
        self.gradOutput = gradOutput
        self.requiresGrad = requiresGrad
        self.higherOrder = higherOrder
    }

    /// Whether the backward pass is wanted.
    public var wantsGradients: Bool { gradOutput != nil }

    /// The operands whose gradients the call asks for: none without `grad_output`; otherwise those that require
    /// grad and can (a floating tensor; a scalar var never).
    public var gradientOperands: RequiresGrad {
        guard gradOutput != nil else { return .none }
        return RequiresGrad(
            input: requiresGrad.input && input.dtype.isFloatingPoint,
            target: requiresGrad.target && target.dtype.isFloatingPoint,
            variance: requiresGrad.variance && (variance.tensor?.dtype.isFloatingPoint ?? false))
    }

    /// Why the call asks for no gradient of an operand, or `nil` when it asks for one: "no gradients were asked
    /// for", "var is a scalar, which has no gradient", "input is int32, which cannot require grad", or "target
    /// does not require grad".
    public func whyNoGradient(of operand: Operand) -> String? {
        guard wantsGradients else { return "no gradients were asked for" }
        let tensor: Tensor?
        let wanted: Bool
        switch operand {
        case .input: (tensor, wanted) = (input, gradientOperands.input)
        case .target: (tensor, wanted) = (target, gradientOperands.target)
        case .variance: (tensor, wanted) = (variance.tensor, gradientOperands.variance)
        }
        guard !wanted else { return nil }
        guard let tensor else { return "var is a scalar, which has no gradient" }
        if !tensor.dtype.isFloatingPoint { return "\(operand) is \(tensor.dtype), which cannot require grad" }
        return "\(operand) does not require grad"
    }

    /// The unit roundoff that bounds the call's rounding errors: the largest among its floating operands'
    /// dtypes (a mixed-dtype call may round intermediates in its narrowest dtype), a Python-float var counted in
    /// the dtype it takes (float32, the default dtype, beside an integral input, whatever target is); float32's
    /// when no operand is floating (the loss then takes float32).
    public var largestUnitRoundoff: Double {
        var types = [input.dtype, target.dtype]
        types.append(variance.tensor?.dtype ?? CallLayout.varianceType(of: self))
        return types.filter(\.isFloatingPoint).map(\.unitRoundoff).max() ?? DType.float32.unitRoundoff
    }

    /// The protocol version a candidate must speak to be sent this call: 2 for a non-finite eps or scalar var,
    /// an operand of an integer dtype or bool, gradients asked for only some of the operands, or hvp or jvp; 1
    /// otherwise.
    public var protocolVersionNeeded: Int { protocol2Reason == nil ? 1 : 2 }

    /// Why the call needs protocol 2, or `nil` when protocol 1 expresses it.
    public var protocol2Reason: String? {
        if !eps.isFinite { return "a non-finite eps (\(eps))" }
        if case .scalar(let value) = variance, !value.isFinite { return "a non-finite scalar var (\(value))" }
        var types = [input.dtype, target.dtype]
        if let variance = variance.tensor { types.append(variance.dtype) }
        if let integral = types.first(where: { !$0.isFloatingPoint }) {
            return "\(integral == .bool ? "a" : "an") \(integral) operand"
        }
        if gradOutput != nil {
            let all = RequiresGrad(input: true, target: true, variance: variance.tensor != nil)
            if gradientOperands != all { return "gradients for only some operands (\(gradientOperands))" }
        }
        if let request = higherOrder {
            return [request.hvp ? "hvp" : nil, request.jvp ? "jvp" : nil].compactMap { $0 }.joined(separator: " and ")
        }
        return nil
    }

    /// The default eps of PyTorch's function.
    public static let defaultEps = 1e-6
}

/// An operand of a call, named as PyTorch's signature names it.
public enum Operand: String, Sendable, CaseIterable, CustomStringConvertible {
    case input
    case target
    case variance = "var"

    public var description: String { rawValue }
}

/// Which operands of a call require grad, as `requires_grad=` on each tensor says.
public struct RequiresGrad: Sendable, Hashable, CustomStringConvertible {
    public var input: Bool
    public var target: Bool
    public var variance: Bool

    public init(input: Bool, target: Bool, variance: Bool) {
        self.input = input
        self.target = target
        self.variance = variance
    }

    /// Every operand: what protocol 1 assumes.
    public static let all = RequiresGrad(input: true, target: true, variance: true)
    /// No operand.
    public static let none = RequiresGrad(input: false, target: false, variance: false)

    /// Whether any operand requires grad.
    public var any: Bool { input || target || variance }

    /// The operands that require grad, such as "input, var", or "none".
    public var description: String {
        let names = [(input, "input"), (target, "target"), (variance, "var")].filter(\.0).map(\.1)
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}

/// The variance operand of a call.
public enum Variance: Sendable, Equatable {
    /// A tensor variance, which gets a gradient.
    case tensor(Tensor)
    /// A Python float, which torch 2.6 and later expand to `var * ones_like(input)`, with no gradient.
    case scalar(Double)

    /// The tensor, or `nil` for a scalar.
    public var tensor: Tensor? {
        if case .tensor(let tensor) = self { return tensor }
        return nil
    }
}

/// The reductions PyTorch accepts.
public enum Reduction: String, Sendable, CaseIterable {
    case none
    case mean
    case sum
}

/// What a successful call returns.
public struct LossResult: Sendable, Equatable {
    /// The loss: the reduced scalar, or the element-wise (per-sample in torch-1.8) loss for 'none'.
    public var loss: Tensor
    /// The gradients, when they were asked for.
    public var gradients: Gradients?
    /// The Hessian-vector product, when the call's ``HigherOrderRequest`` asked for it: for each operand that
    /// requires grad, the directional derivative of its gradient along the tangents.
    public var hvp: OperandTensors?
    /// The forward-mode directional derivative of the loss along the tangents (the loss's shape and dtype), when
    /// the call's ``HigherOrderRequest`` asked for it.
    public var jvp: Tensor?

    public init(loss: Tensor, gradients: Gradients? = nil, hvp: OperandTensors? = nil, jvp: Tensor? = nil) {
        self.loss = loss
        self.gradients = gradients
        self.hvp = hvp
        self.jvp = jvp
    }
}

/// The gradients of a call, each with its operand's shape and dtype: present exactly for the operands that
/// require grad (``LossCase/gradientOperands``).
public typealias Gradients = OperandTensors

/// One tensor per operand of a call, each with its operand's shape and dtype, present for some operands only: the
/// gradients, the tangents of a ``HigherOrderRequest``, or a Hessian-vector product.
public struct OperandTensors: Sendable, Equatable {
    public var input: Tensor?
    public var target: Tensor?
    /// `nil` for a scalar variance, which has no gradient, and for a var that does not require grad.
    public var variance: Tensor?

    public init(input: Tensor?, target: Tensor?, variance: Tensor?) {
        self.input = input
        self.target = target
        self.variance = variance
    }

    /// Which operands have a tensor.
    public var present: RequiresGrad {
        RequiresGrad(input: input != nil, target: target != nil, variance: variance != nil)
    }

    /// Only the tensors of the given operands.
    public func keeping(_ operands: RequiresGrad) -> OperandTensors {
        OperandTensors(
            input: operands.input ? input : nil, target: operands.target ? target : nil,
            variance: operands.variance ? variance : nil)
    }
}

/// Why a call was refused: the candidate protocol's error kinds.
public enum RejectionKind: String, Sendable, CaseIterable, Codable {
    /// `ValueError: var has negative entry/entries`.
    case negativeVar = "negative_var"
    /// `ValueError: var is of incorrect size`.
    case varSize = "var_size"
    /// `ValueError: input and target must have same size` (torch-1.8).
    case targetSize = "target_size"
    /// `ValueError: <reduction> is not valid`.
    case reduction
    /// `RuntimeError: The size of tensor a (…) must match the size of tensor b (…)`.
    case broadcast
    /// A wrong argument type, such as a Python float var before torch 2.6, an integer or bool var, or a bool
    /// operand of `input - target`.
    case type
    /// An error of the implementation that matches none of PyTorch's kinds (protocol 2). It is judged as a
    /// rejection: a failure where PyTorch accepts the call, a kind mismatch where PyTorch rejects it.
    case other
    /// The implementation lacks a dtype or feature; never a PyTorch behaviour. A candidate may answer it only for
    /// a call outside its declaration, which the suite never sends (``Rejection/notSent(_:)`` is the suite's own).
    case unsupported
}

/// A refused call: the kind, PyTorch's exception type, and its exact message.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: RejectionKind
    /// PyTorch's exception class, such as `ValueError`.
    public var exceptionType: String
    /// PyTorch's message, exactly.
    public var message: String

    public init(kind: RejectionKind, exceptionType: String, message: String) {
        self.kind = kind
        self.exceptionType = exceptionType
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(exceptionType): \(message)" }

    /// The exception type of ``notSent(_:)``, which no candidate's rejection carries (the protocol's have none).
    static let notSentType = "NotSent"

    /// The suite's own answer for a call it did not send to the candidate: one that needs a dtype or feature the
    /// candidate did not declare, or one the protocol cannot express. Such a case is skipped, never judged.
    public static func notSent(_ reason: String) -> Rejection {
        Rejection(kind: .unsupported, exceptionType: notSentType, message: reason)
    }

    /// Whether this is the suite's ``notSent(_:)`` answer rather than a candidate's rejection.
    public var isNotSent: Bool { kind == .unsupported && exceptionType == Self.notSentType }

    /// `ValueError: var has negative entry/entries`.
    public static let negativeVar = Rejection(
        kind: .negativeVar, exceptionType: "ValueError", message: "var has negative entry/entries")
    /// `ValueError: var is of incorrect size`.
    public static let varSize = Rejection(
        kind: .varSize, exceptionType: "ValueError", message: "var is of incorrect size")
    /// `ValueError: input and target must have same size` (torch-1.8).
    public static let targetSize = Rejection(
        kind: .targetSize, exceptionType: "ValueError", message: "input and target must have same size")
    /// `ValueError: <reduction> is not valid`.
    public static func invalidReduction(_ reduction: String) -> Rejection {
        Rejection(kind: .reduction, exceptionType: "ValueError", message: "\(reduction) is not valid")
    }
    /// `RuntimeError: The size of tensor a (…) must match the size of tensor b (…)`.
    public static func broadcast(_ mismatch: BroadcastMismatch) -> Rejection {
        Rejection(kind: .broadcast, exceptionType: "RuntimeError", message: mismatch.message)
    }
    /// What `clamp_(min=eps)` raises on an integer or bool var: the float result cannot be written back in place.
    public static func clampResultType(_ type: DType, profile: Profile) -> Rejection {
        let name: String
        switch type {
        case .int32: name = "int"
        case .int64: name = "long int"
        default: name = type.rawValue
        }
        return Rejection(
            kind: .type, exceptionType: "RuntimeError",
            message: "result type Float can't be cast to the desired output type \(name)")
    }

    /// What `input - target` raises when an operand is bool: `NotImplementedError` from torch 2.10 on,
    /// `RuntimeError` before.
    public static func boolSubtraction(both: Bool, profile: Profile) -> Rejection {
        let message =
            both
            ? "Subtraction, the `-` operator, with two bool tensors is not supported. "
                + "Use the `^` or `logical_xor()` operator instead."
            : "Subtraction, the `-` operator, with a bool tensor is not supported. "
                + "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        return Rejection(
            kind: .type, exceptionType: profile == .torch2_10 ? "NotImplementedError" : "RuntimeError",
            message: message)
    }

    /// `AttributeError: 'float' object has no attribute '<attribute>'`, as for a float var before torch 2.6.
    public static func floatHasNoAttribute(_ attribute: String) -> Rejection {
        Rejection(
            kind: .type, exceptionType: "AttributeError", message: "'float' object has no attribute '\(attribute)'")
    }
}

/// The outcome of a call: a result, or a rejection.
public enum LossOutcome: Sendable, Equatable {
    case success(LossResult)
    case rejection(Rejection)
}
