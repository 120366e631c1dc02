/// The reference's float32 and float64 evaluation as one pass over memory: forward and backward
/// together, SIMD where Swift gives it, and split over threads.
///
/// The fused kernel computes exactly what the op-by-op ``Reference/evaluate(_:profile:)`` computes
/// for the calls it covers, bit for bit (a NaN may differ in sign or payload, as
/// ``Tensor/isBitwiseIdentical(to:)`` allows: which of two NaN operands an IEEE operation returns is
/// the compiler's choice). Every element goes through the same IEEE operations in the same order,
/// with `logf`/`log` from the C library, one call per element; every sum uses the summation tree of
/// ``DType/accumulate(_:)``, cut into chunks (``PairwiseTree``) so that the number of threads never
/// changes a result. `Reference.evaluate` uses it for the calls it covers; it takes typed buffers so
/// that a benchmark measures the loss and not the `[Double]` storage of ``Tensor``.
///
/// It covers one dtype for all operands (float32 or float64), input with the loss's shape, and:
/// - var elementwise (var's shape is input's), per row (`input.shape[:-1]`, with or without a final
///   1: one value per row of the last dimension), or a Python float (no gradient);
/// - target elementwise, or broadcast to input as a repeating block of rows or as one value per group
///   of rows (``FusedLayout/Target``): found by index arithmetic and laid out a segment (1,024
///   elements) at a time in a worker's scratch, never expanded to the loss's shape.
///
/// Not covered (``Reference`` evaluates these op by op): mixed dtypes, float16 and bfloat16, input
/// smaller than the loss (input broadcast), var broadcast along another axis than the last, target
/// broadcast along interleaved axes, torch-1.8's per-sample sums, and empty tensors.
///
/// ```swift
/// let layout = FusedLayout(rows: 1, width: n, variance: .elementwise, target: .elementwise(rows: 1))
/// let options = FusedOptions(reduction: .mean, full: false, eps: 1e-6, threads: 2)
/// var loss: Float = 0
/// withUnsafeMutablePointer(to: &loss) { lossPointer in
///     FusedKernel.evaluate(
///         layout: layout, options: options, input: x, target: y, variance: v, gradOutput: one,
///         loss: UnsafeMutableBufferPointer(start: lossPointer, count: 1),
///         gradients: FusedGradients(input: gx, target: gy, variance: gv))
/// }
/// ```
public enum FusedKernel {
    /// Evaluates a call in float32 (`Float`) or float64 (`Double`): the loss into `loss` (one value, or
    /// one per element for 'none') and, when `gradOutput` is given, the gradients into `gradients`.
    ///
    /// `gradOutput` holds one value for 'mean' and 'sum' and one per element for 'none'. Traps when a
    /// buffer's count does not match the layout.
    @inlinable
    public static func evaluate<Scalar: FusedKernelScalar>(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Scalar>,
        target: UnsafeBufferPointer<Scalar>, variance: UnsafeBufferPointer<Scalar>,
        gradOutput: UnsafeBufferPointer<Scalar>?, loss: UnsafeMutableBufferPointer<Scalar>,
        gradients: FusedGradients<Scalar>?
    ) {
        Scalar.runFusedPass(
            layout: layout, options: options, input: input, target: target, variance: variance,
            gradOutput: gradOutput, loss: loss, gradients: gradients)
    }

    /// How many elements one summation chunk holds at most: the unit of work a thread takes.
    static let chunkLimit = 4096
    /// The widest row whose var gradient is summed during the pass; wider rows take a second pass.
    static let rowLimit = 16384
}

/// Where the operands of a fused evaluation lie: the loss as `rows × width` elements, row-major.
public struct FusedLayout: Sendable, Hashable {
    /// How var maps onto the elements.
    public enum Variance: Sendable, Hashable {
        /// One value per element (var has input's shape).
        case elementwise
        /// One value per row (var is `input.shape[:-1]`, with or without a final 1).
        case perRow
        /// A Python float: `var * ones_like(input)`, with no gradient.
        case scalar(Double)
    }

    /// How target maps onto the elements.
    public enum Target: Sendable, Hashable {
        /// target holds `period × width` values and repeats every `period` rows: element (r, c) reads
        /// `target[(r % period) · width + c]`. `period == rows` is no broadcasting at all.
        case repeating(period: Int)
        /// target holds one value per `rowsPerValue` consecutive rows: element (r, c) reads
        /// `target[r / rowsPerValue]`.
        case perRows(rowsPerValue: Int)

        /// target with the loss's shape.
        public static func elementwise(rows: Int) -> Target { .repeating(period: rows) }
    }

    /// How many rows the loss has.
    public var rows: Int
    /// How many elements each row has.
    public var width: Int
    /// How var maps onto the elements.
    public var variance: Variance
    /// How target maps onto the elements.
    public var target: Target

    /// A layout of `rows × width` elements.
    public init(rows: Int, width: Int, variance: Variance, target: Target) {
        self.rows = rows
        self.width = width
        self.variance = variance
        self.target = target
    }

    /// The number of elements of the element-wise loss.
    public var elementCount: Int { rows * width }

    /// How many values target holds.
    public var targetCount: Int {
        switch target {
        case .repeating(let period): period * width
        case .perRows(let rowsPerValue): rows / rowsPerValue
        }
    }

    /// How many values var holds (0 for a Python float).
    public var varianceCount: Int {
        switch variance {
        case .elementwise: rows * width
        case .perRow: rows
        case .scalar: 0
        }
    }

    /// Whether target has the loss's shape.
    var targetIsElementwise: Bool { self.target == .repeating(period: rows) }
}

/// The options of a fused evaluation.
public struct FusedOptions: Sendable, Hashable {
    /// 'none', 'mean' or 'sum'.
    public var reduction: Reduction
    /// Whether the loss adds the constant `0.5 · log(2π)`.
    public var full: Bool
    /// The floor var is clamped to, rounded to the dtype.
    public var eps: Double
    /// The profile decides what a NaN eps does; torch-1.8's per-sample sums are not covered.
    public var profile: Profile
    /// How many threads to split the work over; the results do not depend on it.
    public var threads: Int

    /// The options of a call; traps for a profile with torch-1.8's per-sample sums.
    public init(
        reduction: Reduction, full: Bool = false, eps: Double = LossCase.defaultEps, profile: Profile = .current,
        threads: Int = 1
    ) {
        precondition(!profile.sumsPerSample, "the fused kernel does not cover torch-1.8's per-sample sums")
        self.reduction = reduction
        self.full = full
        self.eps = eps
        self.profile = profile
        self.threads = threads
    }
}

/// Where a fused evaluation writes the gradients, each with its operand's element count.
public struct FusedGradients<Scalar> {
    /// input's gradient.
    public var input: UnsafeMutableBufferPointer<Scalar>
    /// target's gradient, with target's count (not the loss's) when target is broadcast.
    public var target: UnsafeMutableBufferPointer<Scalar>
    /// `nil` for a Python-float var.
    public var variance: UnsafeMutableBufferPointer<Scalar>?

    /// The three gradients' buffers.
    public init(
        input: UnsafeMutableBufferPointer<Scalar>, target: UnsafeMutableBufferPointer<Scalar>,
        variance: UnsafeMutableBufferPointer<Scalar>?
    ) {
        self.input = input
        self.target = target
        self.variance = variance
    }
}

/// A type the fused kernel computes in: `Float` for float32, `Double` for float64.
///
/// Only the kernel's own conformances exist. Its requirement is how the generic
/// ``FusedKernel/evaluate(layout:options:input:target:variance:gradOutput:loss:gradients:)`` reaches
/// the pass compiled for one type, so that a caller in another module runs specialised code.
public protocol FusedKernelScalar: BinaryFloatingPoint, Sendable {
    /// The fused pass in this type; call ``FusedKernel`` instead.
    static func runFusedPass(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Self>,
        target: UnsafeBufferPointer<Self>, variance: UnsafeBufferPointer<Self>,
        gradOutput: UnsafeBufferPointer<Self>?, loss: UnsafeMutableBufferPointer<Self>,
        gradients: FusedGradients<Self>?)
}

extension Float: FusedKernelScalar {}
extension Double: FusedKernelScalar {}

extension FusedScalar {
    /// Runs ``FusedPass``: one implementation, which each conformance's witness specialises for its type.
    public static func runFusedPass(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Self>,
        target: UnsafeBufferPointer<Self>, variance: UnsafeBufferPointer<Self>,
        gradOutput: UnsafeBufferPointer<Self>?, loss: UnsafeMutableBufferPointer<Self>,
        gradients: FusedGradients<Self>?
    ) {
        FusedPass(
            layout: layout, options: options, input: input, target: target, variance: variance,
            gradOutput: gradOutput, loss: loss, gradients: gradients
        ).execute()
    }
}
