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

    public init(
        input: Tensor, target: Tensor, variance: Variance, full: Bool = false, eps: Double = 1e-6,
        reduction: String = "mean", gradOutput: Tensor? = nil
    ) {
        self.input = input
        self.target = target
        self.variance = variance
        self.full = full
        self.eps = eps
        self.reduction = reduction
        self.gradOutput = gradOutput
    }

    /// Whether the backward pass is wanted.
    public var wantsGradients: Bool { gradOutput != nil }

    /// The unit roundoff that bounds the call's rounding errors: the largest among its operands' dtypes (a
    /// mixed-dtype call may round intermediates in its narrowest dtype).
    public var largestUnitRoundoff: Double {
        var types = [input.dtype, target.dtype]
        if let variance = variance.tensor { types.append(variance.dtype) }
        return types.map(\.unitRoundoff).max() ?? DType.float64.unitRoundoff
    }

    /// The default eps of PyTorch's function.
    public static let defaultEps = 1e-6
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

    public init(loss: Tensor, gradients: Gradients? = nil) {
        self.loss = loss
        self.gradients = gradients
    }
}

/// The gradients of a call, each with its operand's shape and dtype.
public struct Gradients: Sendable, Equatable {
    public var input: Tensor
    public var target: Tensor
    /// `nil` for a scalar variance, which has no gradient.
    public var variance: Tensor?

    public init(input: Tensor, target: Tensor, variance: Tensor?) {
        self.input = input
        self.target = target
        self.variance = variance
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
    /// A wrong argument type, such as a Python float var before torch 2.6.
    case type
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
