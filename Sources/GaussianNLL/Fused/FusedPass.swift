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
}
