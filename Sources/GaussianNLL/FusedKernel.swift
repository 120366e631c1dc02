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
    /// Evaluates a float32 call: the loss into `loss` (one value, or one per element for 'none') and,
    /// when `gradOutput` is given, the gradients into `gradients`.
    ///
    /// `gradOutput` holds one value for 'mean' and 'sum' and one per element for 'none'. Traps when a
    /// buffer's count does not match the layout.
    public static func evaluate(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Float>,
        target: UnsafeBufferPointer<Float>, variance: UnsafeBufferPointer<Float>,
        gradOutput: UnsafeBufferPointer<Float>?, loss: UnsafeMutableBufferPointer<Float>,
        gradients: FusedGradients<Float>?
    ) {
        FusedPass(
            layout: layout, options: options, input: input, target: target, variance: variance,
            gradOutput: gradOutput, loss: loss, gradients: gradients
        ).execute()
    }

    /// Evaluates a float64 call; see the float32 overload.
    public static func evaluate(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<Double>,
        target: UnsafeBufferPointer<Double>, variance: UnsafeBufferPointer<Double>,
        gradOutput: UnsafeBufferPointer<Double>?, loss: UnsafeMutableBufferPointer<Double>,
        gradients: FusedGradients<Double>?
    ) {
        FusedPass(
            layout: layout, options: options, input: input, target: target, variance: variance,
            gradOutput: gradOutput, loss: loss, gradients: gradients
        ).execute()
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

    public var rows: Int
    public var width: Int
    public var variance: Variance
    public var target: Target

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
    public var reduction: Reduction
    public var full: Bool
    public var eps: Double
    /// The profile decides what a NaN eps does; torch-1.8's per-sample sums are not covered.
    public var profile: Profile
    /// How many threads to split the work over; the results do not depend on it.
    public var threads: Int

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
    public var input: UnsafeMutableBufferPointer<Scalar>
    public var target: UnsafeMutableBufferPointer<Scalar>
    /// `nil` for a Python-float var.
    public var variance: UnsafeMutableBufferPointer<Scalar>?

    public init(
        input: UnsafeMutableBufferPointer<Scalar>, target: UnsafeMutableBufferPointer<Scalar>,
        variance: UnsafeMutableBufferPointer<Scalar>?
    ) {
        self.input = input
        self.target = target
        self.variance = variance
    }
}

/// What the clamp `var.clamp_(min=eps)` does in var's dtype.
enum FusedClamp<S: FusedScalar> {
    /// `v < eps ? eps : v`.
    case raise(S)
    /// A NaN eps that leaves var as it is (before torch 2.10).
    case keep
    /// A NaN eps that makes var NaN (torch 2.10 on).
    case poison

    init(eps: Double, profile: Profile) {
        let floor = S(storedValue: S.dtype.round(eps))
        if floor.isNaN {
            self = profile.clampPropagatesNaNFloor ? .poison : .keep
        } else {
            self = .raise(floor)
        }
    }

    @inline(__always)
    func apply<V: FusedLanes>(_ value: V) -> V where V.Scalar == S {
        switch self {
        case .raise(let floor): value.raised(to: floor)
        case .keep: value
        case .poison: V(repeating: .nan)
        }
    }
}

/// One fused evaluation: the operands, the outputs, and the plan of chunks.
///
/// Work is split into the chunks of the loss's summation tree; a thread takes a contiguous run of
/// chunks. With var per row, a row's var gradient is summed by the thread that holds the row's first
/// element, which recomputes the part of the row past its run if the row crosses into the next one.
struct FusedPass<S: FusedScalar>: @unchecked Sendable {
    let layout: FusedLayout
    let rows: Int
    let width: Int
    let count: Int
    let reduction: Reduction
    let full: Bool
    let clamp: FusedClamp<S>
    let threads: Int

    let input: UnsafePointer<S>
    let target: UnsafePointer<S>
    /// nil for a Python-float var.
    let variance: UnsafePointer<S>?
    let varianceIsElementwise: Bool
    /// The clamped Python-float var and its logarithm.
    let scalarVariance: S
    let scalarVarianceLog: S

    /// Per-element grad_output ('none' with gradients), else nil.
    let gradOutput: UnsafePointer<S>?
    let wantsGradients: Bool
    /// The gradient of every element of `0.5 · (…)`'s output, for 'mean' and 'sum'.
    let constantGradient: S
    /// The var-gradient log branch of one row for 'mean' and 'sum': the pairwise sum of `width`
    /// copies of `constantGradient`.
    let constantRowGradient: S

    let loss: UnsafeMutablePointer<S>
    let gradInput: UnsafeMutablePointer<S>?
    /// target's gradient when the pass writes it (target elementwise), else nil.
    let gradTarget: UnsafeMutablePointer<S>?
    /// target's gradient, however it is computed.
    let gradTargetOutput: UnsafeMutablePointer<S>?
    let gradVariance: UnsafeMutablePointer<S>?

    let tree: PairwiseTree
    /// The summation plans of the chunks' sizes (two at most) and of a row.
    let chunkPlans: [Int: PairwisePlan]
    let rowPlan: PairwisePlan
    /// var per row, with gradients, and rows narrow enough to sum during the pass.
    let rowsSummedInPass: Bool

    init(
        layout: FusedLayout, options: FusedOptions, input: UnsafeBufferPointer<S>, target: UnsafeBufferPointer<S>,
        variance: UnsafeBufferPointer<S>, gradOutput: UnsafeBufferPointer<S>?, loss: UnsafeMutableBufferPointer<S>,
        gradients: FusedGradients<S>?
    ) {
        let count = layout.elementCount
        precondition(layout.rows > 0 && layout.width > 0, "the fused kernel needs at least one element")
        switch layout.target {
        case .repeating(let period):
            precondition(period > 0 && layout.rows % period == 0, "target's period must divide the rows")
        case .perRows(let rowsPerValue):
            precondition(rowsPerValue > 0 && layout.rows % rowsPerValue == 0, "target's groups must divide the rows")
        }
        precondition(input.count == count, "input must have rows × width elements")
        precondition(target.count == layout.targetCount, "target's count does not match its layout")
        precondition(variance.count == layout.varianceCount, "var's count does not match its layout")
        precondition(loss.count == (options.reduction == .none ? count : 1), "loss must hold the reduced loss")
        precondition((gradOutput == nil) == (gradients == nil), "gradients need grad_output and a place to go")
        if let gradOutput {
            precondition(
                gradOutput.count == (options.reduction == .none ? count : 1), "grad_output has the loss's count")
        }
        if let gradients {
            precondition(gradients.input.count == count, "input's gradient has input's count")
            precondition(gradients.target.count == layout.targetCount, "target's gradient has target's count")
            precondition(
                (gradients.variance?.count ?? 0) == layout.varianceCount, "var's gradient has var's count, or is nil")
        }

        self.layout = layout
        rows = layout.rows
        width = layout.width
        self.count = count
        reduction = options.reduction
        full = options.full
        clamp = FusedClamp(eps: options.eps, profile: options.profile)
        threads = max(1, options.threads)
        self.input = input.baseAddress!
        self.target = target.baseAddress!
        switch layout.variance {
        case .scalar(let value):
            self.variance = nil
            varianceIsElementwise = false
            let clamped = clamp.apply(S(storedValue: S.dtype.round(value)))
            scalarVariance = clamped
            scalarVarianceLog = S.libraryLog(clamped)
        case .elementwise, .perRow:
            self.variance = variance.baseAddress!
            varianceIsElementwise = layout.variance == .elementwise
            scalarVariance = 0
            scalarVarianceLog = 0
        }

        wantsGradients = gradients != nil
        self.gradOutput = options.reduction == .none ? gradOutput?.baseAddress : nil
        switch (options.reduction, gradOutput) {
        case (.mean, let gradOutput?):
            constantGradient = (gradOutput[0] / S(count)) * 0.5
        case (.sum, let gradOutput?):
            constantGradient = gradOutput[0] * 0.5
        default:
            constantGradient = 0
        }
        let perRowWithGradients = layout.variance == .perRow && gradients != nil
        constantRowGradient =
            perRowWithGradients && options.reduction != .none
            ? pairwiseSum(repeating: constantGradient, count: layout.width) : 0
        rowsSummedInPass = perRowWithGradients && layout.width <= FusedKernel.rowLimit

        self.loss = loss.baseAddress!
        gradInput = gradients?.input.baseAddress
        gradTarget = layout.targetIsElementwise ? gradients?.target.baseAddress : nil
        gradTargetOutput = gradients?.target.baseAddress
        gradVariance = gradients?.variance?.baseAddress
        tree = PairwiseTree(count: count, limit: FusedKernel.chunkLimit)
        chunkPlans = Self.plans(for: tree)
        rowPlan = PairwisePlan(count: rowsSummedInPass ? layout.width : 0)
    }

    var reduces: Bool { reduction != .none }

    /// A plan for each distinct chunk size of a tree.
    static func plans(for tree: PairwiseTree) -> [Int: PairwisePlan] {
        var plans = [Int: PairwisePlan]()
        for chunk in 0..<tree.chunkCount {
            let size = tree.range(of: chunk).count
            if plans[size] == nil { plans[size] = PairwisePlan(count: size) }
        }
        return plans
    }

    func execute() {
        let chunkCount = tree.chunkCount
        let workers = min(threads, chunkCount)
        let chunkSums = UnsafeMutablePointer<S>.allocate(capacity: chunkCount)
        defer { chunkSums.deallocate() }
        fusedParallel(workers) { worker in
            run(chunks: (worker * chunkCount / workers)..<((worker + 1) * chunkCount / workers), chunkSums: chunkSums)
        }
        if reduces {
            let total = tree.combine(UnsafeBufferPointer(start: chunkSums, count: chunkCount))
            loss[0] = reduction == .mean ? total / S(count) : total
        }
        guard wantsGradients else { return }
        if layout.variance == .perRow && !rowsSummedInPass { sumWideRows() }
        if !layout.targetIsElementwise { sumTargetGradient() }
    }

    // MARK: - The pass

    /// What one segment (a run of elements within one chunk) reads and writes, each pointer at the
    /// segment's first element.
    struct Segment {
        var input: UnsafePointer<S>
        /// target, or its values laid out per element when target is broadcast.
        var target: UnsafePointer<S>
        /// var per element (clamped and logged in the lanes), or nil.
        var variance: UnsafePointer<S>?
        /// var per row, clamped, and its logarithm, laid out per element; or nil.
        var rowVariance: UnsafePointer<S>?
        var rowVarianceLog: UnsafePointer<S>?
        /// A Python-float var, clamped, and its logarithm (when both pointers above are nil).
        var constantVariance: S
        var constantVarianceLog: S
        var gradOutput: UnsafePointer<S>?
        /// Where the element losses go, or nil.
        var loss: UnsafeMutablePointer<S>?
        var gradInput: UnsafeMutablePointer<S>?
        var gradTarget: UnsafeMutablePointer<S>?
        var gradVariance: UnsafeMutablePointer<S>?
        /// The division branch of var's gradient, per element, for a row sum.
        var divisionGradient: UnsafeMutablePointer<S>?
        /// The log branch of var's gradient (the gradient of `0.5 · (…)`), per element, for a row sum.
        var halfGradient: UnsafeMutablePointer<S>?
    }

    /// The most elements one segment covers: the size of the per-element scratch.
    static var segmentLimit: Int { 1024 }

    /// A worker's scratch: element losses of a chunk, row-constant operands laid out per element, and
    /// the branches of var's gradient for the rows not yet summed.
    struct Scratch {
        let loss: UnsafeMutablePointer<S>?
        let target: UnsafeMutablePointer<S>?
        let rowVariance: UnsafeMutablePointer<S>?
        let rowVarianceLog: UnsafeMutablePointer<S>?
        let division: UnsafeMutablePointer<S>?
        let half: UnsafeMutablePointer<S>?

        init(_ pass: FusedPass) {
            let limit = min(FusedPass.segmentLimit, pass.count)
            loss = pass.reduces ? .allocate(capacity: min(FusedKernel.chunkLimit, pass.count)) : nil
            target = pass.layout.targetIsElementwise ? nil : .allocate(capacity: limit)
            let perRow = pass.layout.variance == .perRow
            rowVariance = perRow ? .allocate(capacity: limit) : nil
            rowVarianceLog = perRow ? .allocate(capacity: limit) : nil
            let rowBuffer = pass.width + limit
            division = pass.rowsSummedInPass ? .allocate(capacity: rowBuffer) : nil
            half = pass.rowsSummedInPass && pass.reduction == .none ? .allocate(capacity: rowBuffer) : nil
        }

        func deallocate() {
            for buffer in [loss, target, rowVariance, rowVarianceLog, division, half] { buffer?.deallocate() }
        }
    }

    /// Lays out the row-constant operands of a run of elements per element: var per row (clamped,
    /// with its logarithm) and broadcast target. It moves forward through the rows.
    struct Expansion {
        let pass: FusedPass
        var row: Int
        var rowStart: Int
        var targetRow: TargetRow
        var rowVariance: S = 0
        var rowVarianceLog: S = 0

        init(_ pass: FusedPass, position: Int) {
            self.pass = pass
            row = position / pass.width
            rowStart = row * pass.width
            targetRow = TargetRow(layout: pass.layout, row: row)
            loadRow()
        }

        mutating func loadRow() {
            guard pass.layout.variance == .perRow else { return }
            rowVariance = pass.clamp.apply(pass.variance![row])
            rowVarianceLog = S.libraryLog(rowVariance)
        }

        /// Fills the scratch for the elements `position..<end`, which must not lie before the row.
        mutating func fill(_ position: Int, _ end: Int, into scratch: Scratch) {
            var cursor = position
            while cursor < end {
                while cursor >= rowStart + pass.width {
                    row += 1
                    rowStart += pass.width
                    targetRow.advance()
                    loadRow()
                }
                let runEnd = min(end, rowStart + pass.width)
                let offset = cursor - position
                let count = runEnd - cursor
                if let target = scratch.target {
                    let (targetOffset, advances) = targetRow.offset(column: cursor - rowStart)
                    let source = pass.target + targetOffset
                    if advances {
                        for index in 0..<count { target[offset + index] = source[index] }
                    } else {
                        let value = source[0]
                        for index in 0..<count { target[offset + index] = value }
                    }
                }
                if let variance = scratch.rowVariance, let log = scratch.rowVarianceLog {
                    let step = S.Vector.laneCount
                    let varianceLanes = S.Vector(repeating: rowVariance)
                    let logLanes = S.Vector(repeating: rowVarianceLog)
                    var index = 0
                    while index &+ step <= count {
                        varianceLanes.store(to: variance + (offset &+ index))
                        logLanes.store(to: log + (offset &+ index))
                        index &+= step
                    }
                    while index < count {
                        variance[offset &+ index] = rowVariance
                        log[offset &+ index] = rowVarianceLog
                        index &+= 1
                    }
                }
                cursor = runEnd
            }
        }
    }

    /// A segment of `position..<end` after `expansion` has filled the scratch for it.
    func makeSegment(_ position: Int, scratch: Scratch) -> Segment {
        let elementVariance = varianceIsElementwise ? variance.map { $0 + position } : nil
        return Segment(
            input: input + position, target: scratch.target.map { UnsafePointer($0) } ?? (target + position),
            variance: elementVariance, rowVariance: scratch.rowVariance.map { UnsafePointer($0) },
            rowVarianceLog: scratch.rowVarianceLog.map { UnsafePointer($0) }, constantVariance: scalarVariance,
            constantVarianceLog: scalarVarianceLog, gradOutput: gradOutput.map { $0 + position }, loss: nil,
            gradInput: gradInput.map { $0 + position }, gradTarget: gradTarget.map { $0 + position },
            gradVariance: varianceIsElementwise ? gradVariance.map { $0 + position } : nil, divisionGradient: nil,
            halfGradient: nil)
    }

    /// Runs a contiguous run of chunks.
    func run(chunks: Range<Int>, chunkSums: UnsafeMutablePointer<S>) {
        guard !chunks.isEmpty else { return }
        let start = tree.boundaries[chunks.lowerBound]
        let end = tree.boundaries[chunks.upperBound]
        let scratch = Scratch(self)
        defer { scratch.deallocate() }
        var expansion = Expansion(self, position: start)

        var position = start
        var chunk = chunks.lowerBound
        var chunkStart = start
        var chunkEnd = tree.boundaries[chunk + 1]
        // The first row not yet summed, and the element that the row buffers' first entry holds. A row
        // that began before this run is the previous run's to sum.
        var row = start / width
        var rowStart = row * width
        var ownsRow = rowStart == start
        var bufferStart = rowStart

        while position < end {
            let segmentEnd = min(chunkEnd, position + Self.segmentLimit)
            expansion.fill(position, segmentEnd, into: scratch)
            var segment = makeSegment(position, scratch: scratch)
            segment.loss = reduces ? scratch.loss! + (position - chunkStart) : loss + position
            segment.divisionGradient = scratch.division.map { $0 + (position - bufferStart) }
            segment.halfGradient = scratch.half.map { $0 + (position - bufferStart) }
            evaluate(segment, count: segmentEnd - position)
            position = segmentEnd
            if position == chunkEnd {
                if reduces { chunkSums[chunk] = chunkPlans[chunkEnd - chunkStart]!.sum(scratch.loss!) }
                chunk += 1
                chunkStart = chunkEnd
                if chunk < chunks.upperBound { chunkEnd = tree.boundaries[chunk + 1] }
            }
            guard let division = scratch.division else { continue }
            // Sum the rows that are complete, then keep the rest of the buffers at their front.
            let complete = (position - rowStart) / width
            if complete > 0 {
                let skipped = ownsRow ? 0 : 1
                let offset = rowStart - bufferStart + skipped * width
                finishRows(
                    row + skipped, complete - skipped, division: division + offset,
                    half: scratch.half.map { $0 + offset })
                row += complete
                rowStart += complete * width
                ownsRow = true
            }
            if rowStart > bufferStart {
                let kept = position - rowStart
                division.update(from: division + (rowStart - bufferStart), count: kept)
                scratch.half?.update(from: scratch.half! + (rowStart - bufferStart), count: kept)
                bufferStart = rowStart
            }
        }
        // The last row runs on into the next run: compute the rest of its var gradient here.
        if ownsRow, rowStart < end, let division = scratch.division {
            let rowEnd = rowStart + width
            while position < rowEnd {
                let segmentEnd = min(rowEnd, position + Self.segmentLimit)
                expansion.fill(position, segmentEnd, into: scratch)
                var segment = makeSegment(position, scratch: scratch)
                segment.gradInput = nil
                segment.gradTarget = nil
                segment.divisionGradient = division + (position - bufferStart)
                segment.halfGradient = scratch.half.map { $0 + (position - bufferStart) }
                evaluate(segment, count: segmentEnd - position)
                position = segmentEnd
            }
            finishRow(row, division: division, half: scratch.half)
        }
    }

    /// Where target's values for a row start, kept by counting rather than dividing.
    struct TargetRow {
        let layout: FusedLayout
        /// `repeating`: the row within the period; `perRows`: the row within the group.
        var phase: Int
        /// `perRows`: the group.
        var group: Int

        init(layout: FusedLayout, row: Int) {
            self.layout = layout
            switch layout.target {
            case .repeating(let period):
                phase = row % period
                group = 0
            case .perRows(let rowsPerValue):
                phase = row % rowsPerValue
                group = row / rowsPerValue
            }
        }

        mutating func advance() {
            phase += 1
            switch layout.target {
            case .repeating(let period):
                if phase == period { phase = 0 }
            case .perRows(let rowsPerValue):
                if phase == rowsPerValue {
                    phase = 0
                    group += 1
                }
            }
        }

        /// target's offset for a column, and whether it advances along the row.
        func offset(column: Int) -> (offset: Int, advances: Bool) {
            switch layout.target {
            case .repeating: (phase * layout.width + column, true)
            case .perRows: (group, false)
            }
        }
    }

    /// The var gradient of a row from its per-element branches: `Σ half / v + Σ division`.
    func finishRow(_ row: Int, division: UnsafeMutablePointer<S>, half: UnsafeMutablePointer<S>?) {
        finishRows(row, 1, division: division, half: half)
    }

    /// `finishRow` for `count` consecutive rows whose branches lie one after another. Rows of up to 16
    /// elements take a loop with the width fixed, which the compiler unrolls.
    func finishRows(_ first: Int, _ count: Int, division: UnsafeMutablePointer<S>, half: UnsafeMutablePointer<S>?) {
        guard count > 0, gradVariance != nil else { return }
        switch width {
        case 2: finishRows(first, count, division, half, width: 2)
        case 3: finishRows(first, count, division, half, width: 3)
        case 4: finishRows(first, count, division, half, width: 4)
        case 5: finishRows(first, count, division, half, width: 5)
        case 6: finishRows(first, count, division, half, width: 6)
        case 7: finishRows(first, count, division, half, width: 7)
        case 8: finishRows(first, count, division, half, width: 8)
        case 9: finishRows(first, count, division, half, width: 9)
        case 10: finishRows(first, count, division, half, width: 10)
        case 11: finishRows(first, count, division, half, width: 11)
        case 12: finishRows(first, count, division, half, width: 12)
        case 13: finishRows(first, count, division, half, width: 13)
        case 14: finishRows(first, count, division, half, width: 14)
        case 15: finishRows(first, count, division, half, width: 15)
        case 16: finishRows(first, count, division, half, width: 16)
        default:
            for index in 0..<count {
                let halfSum = half.map { rowPlan.sum($0 + index * width) } ?? constantRowGradient
                let divisionSum = rowPlan.sum(division + index * width)
                gradVariance![first + index] = halfSum / clamp.apply(variance![first + index]) + divisionSum
            }
        }
    }

    @inline(__always)
    private func finishRows(
        _ first: Int, _ count: Int, _ division: UnsafeMutablePointer<S>, _ half: UnsafeMutablePointer<S>?,
        width: Int
    ) {
        let gradVariance = gradVariance!
        let variance = variance!
        for index in 0..<count {
            let halfSum = half.map { PairwisePlan.small($0 + index * width, width) } ?? constantRowGradient
            let divisionSum = PairwisePlan.small(division + index * width, width)
            gradVariance[first + index] = halfSum / clamp.apply(variance[first + index]) + divisionSum
        }
    }

    /// Evaluates `count` elements of a segment: vectors, then single lanes.
    func evaluate(_ segment: Segment, count: Int) {
        let step = S.Vector.laneCount
        var offset = 0
        while offset + step <= count {
            lanes(S.Vector.self, segment, offset)
            offset += step
        }
        while offset < count {
            lanes(S.self, segment, offset)
            offset += 1
        }
    }

    /// The loss and the gradients of the elements at `offset` in a segment, in the reference's order:
    /// `0.5 · (log v + (x − t)² / v)`, then autograd's backward through it.
    @inline(__always)
    func lanes<V: FusedLanes>(_: V.Type, _ segment: Segment, _ offset: Int) where V.Scalar == S {
        let x = V.load(segment.input + offset)
        let t = V.load(segment.target + offset)
        let v: V
        let logV: V
        if let variance = segment.variance {
            v = clamp.apply(V.load(variance + offset))
            logV = v.logarithm
        } else if let rowVariance = segment.rowVariance, let rowVarianceLog = segment.rowVarianceLog {
            v = V.load(rowVariance + offset)
            logV = V.load(rowVarianceLog + offset)
        } else {
            v = V(repeating: segment.constantVariance)
            logV = V(repeating: segment.constantVarianceLog)
        }
        let difference = x - t
        let ratio = (difference * difference) / v
        var elementLoss = (logV + ratio) * V(repeating: 0.5)
        if full { elementLoss = elementLoss + V(repeating: S(halfLogTwoPi)) }
        if let loss = segment.loss { elementLoss.store(to: loss + offset) }
        guard wantsGradients else { return }

        let gradient: V
        if let gradOutput = segment.gradOutput {
            gradient = V.load(gradOutput + offset) * V(repeating: 0.5)
        } else {
            gradient = V(repeating: constantGradient)
        }
        let squaredGradient = gradient / v
        let divisionGradient = gradient.negated * (ratio / v)
        if let gradVariance = segment.gradVariance {
            (squaredGradient + divisionGradient).store(to: gradVariance + offset)
        }
        if let out = segment.divisionGradient { divisionGradient.store(to: out + offset) }
        if let out = segment.halfGradient { gradient.store(to: out + offset) }
        if let gradInput = segment.gradInput {
            let differenceGradient = squaredGradient * (difference * V(repeating: 2))
            differenceGradient.store(to: gradInput + offset)
            if let gradTarget = segment.gradTarget { differenceGradient.negated.store(to: gradTarget + offset) }
        }
    }

    // MARK: - Second passes

    /// var per row with rows wider than `rowLimit`: each row's two branches summed over its own tree.
    func sumWideRows() {
        let rowTree = PairwiseTree(count: width, limit: FusedKernel.chunkLimit)
        let plans = Self.plans(for: rowTree)
        let chunkCount = rowTree.chunkCount
        let items = rows * chunkCount
        let divisionSums = UnsafeMutablePointer<S>.allocate(capacity: items)
        let halfSums = UnsafeMutablePointer<S>.allocate(capacity: items)
        defer {
            divisionSums.deallocate()
            halfSums.deallocate()
        }
        let workers = min(threads, items)
        fusedParallel(workers) { worker in
            let division = UnsafeMutablePointer<S>.allocate(capacity: FusedKernel.chunkLimit)
            let half = UnsafeMutablePointer<S>.allocate(capacity: FusedKernel.chunkLimit)
            defer {
                division.deallocate()
                half.deallocate()
            }
            let scratch = Scratch(self)
            defer { scratch.deallocate() }
            for item in (worker * items / workers)..<((worker + 1) * items / workers) {
                let row = item / chunkCount
                let range = rowTree.range(of: item % chunkCount)
                // Pieces of at most segmentLimit elements, written where the chunk's branches go.
                var position = row * width + range.lowerBound
                let end = row * width + range.upperBound
                var expansion = Expansion(self, position: position)
                while position < end {
                    let segmentEnd = min(end, position + Self.segmentLimit)
                    expansion.fill(position, segmentEnd, into: scratch)
                    var segment = makeSegment(position, scratch: scratch)
                    segment.gradInput = nil
                    segment.gradTarget = nil
                    let offset = position - (row * width + range.lowerBound)
                    segment.divisionGradient = division + offset
                    segment.halfGradient = half + offset
                    evaluate(segment, count: segmentEnd - position)
                    position = segmentEnd
                }
                divisionSums[item] = plans[range.count]!.sum(division)
                halfSums[item] = plans[range.count]!.sum(half)
            }
        }
        for row in 0..<rows {
            let divisionSum = rowTree.combine(
                UnsafeBufferPointer(start: divisionSums + row * chunkCount, count: chunkCount))
            let halfSum =
                reduction == .none
                ? rowTree.combine(UnsafeBufferPointer(start: halfSums + row * chunkCount, count: chunkCount))
                : constantRowGradient
            gradVariance![row] = halfSum / clamp.apply(variance![row]) + divisionSum
        }
    }

    /// target's gradient when target is broadcast: `−Σ` of input's gradient over the elements that
    /// read each target value, in the order of autograd's `sum_to`.
    func sumTargetGradient() {
        guard let gradInput, let gradTargetBase = gradTargetOutput else { return }
        switch layout.target {
        case .perRows(let rowsPerValue):
            let groupSize = rowsPerValue * width
            let groups = rows / rowsPerValue
            let groupTree = PairwiseTree(count: groupSize, limit: FusedKernel.chunkLimit)
            let plans = Self.plans(for: groupTree)
            let chunkCount = groupTree.chunkCount
            let items = groups * chunkCount
            let sums = UnsafeMutablePointer<S>.allocate(capacity: items)
            defer { sums.deallocate() }
            let workers = min(threads, items)
            fusedParallel(workers) { worker in
                for item in (worker * items / workers)..<((worker + 1) * items / workers) {
                    let range = groupTree.range(of: item % chunkCount)
                    sums[item] = plans[range.count]!.sum(gradInput + (item / chunkCount) * groupSize + range.lowerBound)
                }
            }
            for group in 0..<groups {
                gradTargetBase[group] = -groupTree.combine(
                    UnsafeBufferPointer(start: sums + group * chunkCount, count: chunkCount))
            }
        case .repeating(let period):
            let stride = period * width
            let repeats = rows / period
            let block = 512
            let blocks = (stride + block - 1) / block
            let workers = min(threads, blocks)
            fusedParallel(workers) { worker in
                let scratch = UnsafeMutablePointer<S>.allocate(
                    capacity: columnPairwiseScratchCount(rowCount: repeats, width: block))
                defer { scratch.deallocate() }
                for index in (worker * blocks / workers)..<((worker + 1) * blocks / workers) {
                    let first = index * block
                    let columns = min(block, stride - first)
                    let out = gradTargetBase + first
                    columnPairwiseSums(
                        gradInput + first, rowCount: repeats, stride: stride, width: columns, into: out,
                        scratch: scratch)
                    for column in 0..<columns { out[column] = -out[column] }
                }
            }
        }
    }
}
