/// What the oracle knows about one output element: its exact value, and what bounds a faithful
/// implementation's error on it.
public struct ExactElement: Sendable, Equatable {
    /// The exact value of the formula on the dtype values of the operands (clamped in var's dtype),
    /// computed in wider precision: double for 16- and 32-bit dtypes, ``ExactReal`` for float64.
    public var value: ExactReal
    /// The error scale S: the sum of the absolute values of the terms that make up the element.
    /// A dtype evaluation's rounding errors are bounded by a small multiple of u·S.
    public var errorScale: ExactReal
    /// The sum of the absolute values of the summands a reduction or broadcast gradient accumulates.
    public var magnitude: ExactReal
    /// How many summands were accumulated: 1 for an element-wise value.
    public var summands: Int
    /// Extra absolute error allowed because an intermediate of the formula became subnormal in its
    /// dtype and so lost relative precision; 0 when every intermediate stays in the normal range.
    public var rangeSlack: ExactReal
    /// Whether an evaluation in the dtypes may legitimately give an infinity or NaN here: an
    /// intermediate of the formula comes within rounding error of its dtype's largest finite value, a
    /// sum of them overflows, or a factor that rounds to zero meets an infinite one (0·∞, 0/0).
    public var overflows: Bool

    /// An element with all of its bookkeeping given.
    public init(
        value: ExactReal, errorScale: ExactReal, magnitude: ExactReal, summands: Int, rangeSlack: ExactReal,
        overflows: Bool
    ) {
        self.value = value
        self.errorScale = errorScale
        self.magnitude = magnitude
        self.summands = summands
        self.rangeSlack = rangeSlack
        self.overflows = overflows
    }

    /// Whether any intermediate left the dtype's normal range.
    public var leavesNormalRange: Bool { overflows || rangeSlack > 0 }
}

/// The exact values of one output tensor.
public struct ExactTensor: Sendable, Equatable {
    /// The dtype the output has in PyTorch.
    public var dtype: DType
    /// The output's shape.
    public var shape: Shape
    /// One element per value of the output, in row-major order.
    public var elements: [ExactElement]
}

/// The exact gradients of a call, each with its operand's shape and dtype: present exactly for the operands
/// that require grad (``LossCase/gradientOperands``).
public struct ExactGradients: Sendable, Equatable {
    /// input's gradient.
    public var input: ExactTensor?
    /// target's gradient.
    public var target: ExactTensor?
    /// var's gradient; `nil` also for a scalar var.
    public var variance: ExactTensor?

    public init(input: ExactTensor?, target: ExactTensor?, variance: ExactTensor?) {
        self.input = input
        self.target = target
        self.variance = variance
    }
}

/// The oracle's answer for a call.
public enum ExactOutcome: Sendable, Equatable {
    /// The loss, the gradients when the call has a grad_output, and the hvp and jvp when it asks for them.
    case success(loss: ExactTensor, gradients: ExactGradients?, higherOrder: ExactHigherOrder?)
    /// The error the profile raises for the call.
    case rejection(Rejection)
}
