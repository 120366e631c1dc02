extension FusedPass {
    // MARK: - Row sums

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
    /// The sum of the negated terms, from the sum of the terms: autograd negates target's gradient element by
    /// element and then sums it from +0.0, so an exactly cancelling sum is +0.0, never −0.0.
    @inline(__always)
    static func negatedSum(_ sum: S) -> S { sum == 0 ? 0 : -sum }

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
                let sum = groupTree.combine(UnsafeBufferPointer(start: sums + group * chunkCount, count: chunkCount))
                gradTargetBase[group] = Self.negatedSum(sum)
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
                    for column in 0..<columns { out[column] = Self.negatedSum(out[column]) }
                }
            }
        }
    }
}
