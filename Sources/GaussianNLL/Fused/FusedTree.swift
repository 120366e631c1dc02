/// The summation tree of ``DType/accumulate(_:)``, cut into pieces that can be summed apart.
///
/// `accumulate` sums `n` values by recursive halving: a node of more than 8 values splits at
/// `count / 2`, and a node of at most 8 is summed left to right from zero. The tree depends only on
/// `n`, so any piece of it can be summed by any thread, in any order, and the result is the same.
///
/// At depth `k` every node holds ⌊n/2^k⌋ or ⌈n/2^k⌉ values. Cutting at the first depth whose nodes
/// hold at most `limit` values (limit ≥ 9) leaves 2^k *chunks*, contiguous and in order, above which
/// the tree is a perfect binary tree: chunk sums combine by halving their index range.
///
/// ```swift
/// let tree = PairwiseTree(count: values.count, limit: 4096)
/// var sums = [Float](repeating: 0, count: tree.chunkCount)
/// for chunk in 0..<tree.chunkCount {  // any order, any thread
///     let range = tree.range(of: chunk)
///     sums[chunk] = pairwiseSum(base + range.lowerBound, range.count)
/// }
/// let total = sums.withUnsafeBufferPointer { tree.combine($0) }  // == DType.float32.accumulate(values)
/// ```
struct PairwiseTree: Sendable {
    /// The number of values summed.
    let count: Int
    /// The chunks' bounds: chunk `i` is `boundaries[i]..<boundaries[i + 1]`.
    let boundaries: [Int]

    /// Cuts the tree of `count` values at the first depth where no node holds more than `limit` values.
    init(count: Int, limit: Int) {
        precondition(limit >= 9, "a chunk limit below 9 would cut through the summation's leaves")
        self.count = count
        var depth = 0
        while (count + (1 << depth) - 1) >> depth > limit { depth += 1 }
        var boundaries = [Int]()
        boundaries.reserveCapacity((1 << depth) + 1)
        func cut(_ low: Int, _ high: Int, _ level: Int) {
            if level == depth {
                boundaries.append(low)
                return
            }
            let middle = low + (high - low) / 2
            cut(low, middle, level + 1)
            cut(middle, high, level + 1)
        }
        cut(0, count, 0)
        boundaries.append(count)
        self.boundaries = boundaries
    }

    var chunkCount: Int { boundaries.count - 1 }

    func range(of chunk: Int) -> Range<Int> { boundaries[chunk]..<boundaries[chunk + 1] }

    /// The chunk that holds the value at `position`.
    func chunk(containing position: Int) -> Int {
        var low = 0
        var high = chunkCount
        while high - low > 1 {
            let middle = (low + high) / 2
            if boundaries[middle] <= position { low = middle } else { high = middle }
        }
        return low
    }

    /// Combines the chunks' sums as the tree above the cut does.
    func combine<S: FusedScalar>(_ sums: UnsafeBufferPointer<S>) -> S {
        precondition(sums.count == chunkCount)
        if count == 0 { return 0 }
        return combine(sums.baseAddress!, sums.count)
    }

    private func combine<S: FusedScalar>(_ sums: UnsafePointer<S>, _ count: Int) -> S {
        if count == 1 { return sums[0] }
        let half = count / 2
        return combine(sums, half) + combine(sums + half, half)
    }
}

/// `DType.accumulate` on typed values: recursive halving, leaves of at most 8 summed from zero.
///
/// For Float and Double this equals `accumulate` in float32 and float64, bit for bit.
func pairwiseSum<S: FusedScalar>(_ values: UnsafePointer<S>, _ count: Int) -> S {
    if count <= 16 { return PairwisePlan.small(values, count) }
    return PairwisePlan(count: count).sum(values)
}

/// The summation tree of `count` values, evaluated level by level instead of by recursion.
///
/// Let D be the first depth at which no node holds more than 8 values. Every node at depth D − 1
/// holds 9 to 16 values, except nodes of exactly 8, which are leaves there; the others split once
/// into two leaves. Above depth D − 1 the tree is perfect (``PairwiseTree``). So the sum is: each
/// depth-(D − 1) node summed as one or two leaves, then those values combined pairwise, level by
/// level, which has no dependency chain longer than a leaf.
struct PairwisePlan: Sendable {
    let count: Int
    /// The bounds of the depth-(D − 1) nodes, a power of two of them.
    let nodes: [Int]

    init(count: Int) {
        self.count = count
        nodes = count <= 16 ? [0, count] : PairwiseTree(count: count, limit: 16).boundaries
    }

    /// The sum of at most 16 values.
    @inline(__always)
    static func small<S: FusedScalar>(_ values: UnsafePointer<S>, _ count: Int) -> S {
        if count <= 8 { return leafSum(values, count) }
        let half = count / 2
        return leafSum(values, half) + leafSum(values + half, count - half)
    }

    func sum<S: FusedScalar>(_ values: UnsafePointer<S>) -> S {
        let nodeCount = nodes.count - 1
        if nodeCount == 1 { return Self.small(values, count) }
        return withUnsafeTemporaryAllocation(of: S.self, capacity: nodeCount) { level in
            nodes.withUnsafeBufferPointer { bounds in
                sumNodes(values, bounds.baseAddress!, nodeCount, into: level.baseAddress!)
            }
            var width = nodeCount
            while width > 1 {
                width /= 2
                for node in 0..<width { level[node] = level[2 * node] + level[2 * node + 1] }
            }
            return level[0]
        }
    }

    /// The depth-(D − 1) nodes' sums. When every node holds 9 or more values, each splits into two
    /// leaves of `a` or `a + 1` values, with the same `a` throughout: those take an unrolled loop with
    /// the optional last value added as `+0` when absent (exact: a leaf's running total starts at
    /// +0, so it is never −0, and adding +0 to it changes nothing).
    private func sumNodes<S: FusedScalar>(
        _ values: UnsafePointer<S>, _ bounds: UnsafePointer<Int>, _ nodeCount: Int, into level: UnsafeMutablePointer<S>
    ) {
        var smallest = Int.max
        for node in 0..<nodeCount { smallest = min(smallest, bounds[node + 1] - bounds[node]) }
        guard smallest >= 9 else {
            for node in 0..<nodeCount {
                level[node] = Self.small(values + bounds[node], bounds[node + 1] - bounds[node])
            }
            return
        }
        switch smallest / 2 {
        case 4: Self.sumSplitNodes(values, bounds, nodeCount, into: level, leaf: 4)
        case 5: Self.sumSplitNodes(values, bounds, nodeCount, into: level, leaf: 5)
        case 6: Self.sumSplitNodes(values, bounds, nodeCount, into: level, leaf: 6)
        case 7: Self.sumSplitNodes(values, bounds, nodeCount, into: level, leaf: 7)
        default: Self.sumSplitNodes(values, bounds, nodeCount, into: level, leaf: 8)
        }
    }

    @inline(__always)
    private static func sumSplitNodes<S: FusedScalar>(
        _ values: UnsafePointer<S>, _ bounds: UnsafePointer<Int>, _ nodeCount: Int, into level: UnsafeMutablePointer<S>,
        leaf: Int
    ) {
        for node in 0..<nodeCount {
            let start = bounds[node]
            let size = bounds[node + 1] - start
            let half = size / 2
            let low = fixedLeaf(values + start, leaf, extra: half > leaf)
            let high = fixedLeaf(values + start + half, leaf, extra: size - half > leaf)
            level[node] = low + high
        }
    }

    /// `leafSum` of `count` values, or of `count + 1` when `extra`; reads only those values.
    @inline(__always)
    private static func fixedLeaf<S: FusedScalar>(_ values: UnsafePointer<S>, _ count: Int, extra: Bool) -> S {
        var total: S = 0
        for index in 0..<count { total += values[index] }
        let last = values[count - (extra ? 0 : 1)]
        return total + (extra ? last : 0)
    }
}

@inline(__always)
func leafSum<S: FusedScalar>(_ values: UnsafePointer<S>, _ count: Int) -> S {
    var total: S = 0
    for index in 0..<count { total += values[index] }
    return total
}

/// The sum of `count` equal values, in the order of `pairwiseSum`; O(log count) work, since the
/// nodes at each depth have only two sizes.
func pairwiseSum<S: FusedScalar>(repeating value: S, count: Int) -> S {
    var known: [Int: S] = [:]
    func sum(_ count: Int) -> S {
        if count <= 8 {
            var total: S = 0
            for _ in 0..<count { total += value }
            return total
        }
        if let result = known[count] { return result }
        let half = count / 2
        let result = sum(half) + sum(count - half)
        known[count] = result
        return result
    }
    return sum(count)
}

/// Sums a strided family of rows column by column, each column in the order of `pairwiseSum`:
/// `result[c] = Σ_m rows[m · stride + c]` for `m` in `0..<rowCount`, for the columns `0..<width`.
///
/// This is autograd's `sum_to` for an operand repeated every `stride` elements, done a block of
/// columns at a time so that every read is contiguous.
func columnPairwiseSums<S: FusedScalar>(
    _ rows: UnsafePointer<S>, rowCount: Int, stride: Int, width: Int, into result: UnsafeMutablePointer<S>,
    scratch: UnsafeMutablePointer<S>
) {
    // scratch holds one row of partial sums per level of the recursion: ⌈log2 rowCount⌉ + 1 rows.
    func sum(_ first: Int, _ count: Int, into out: UnsafeMutablePointer<S>, level: Int) {
        if count <= 8 {
            for column in 0..<width { out[column] = 0 }
            for row in first..<(first + count) {
                let source = rows + row * stride
                for column in 0..<width { out[column] += source[column] }
            }
            return
        }
        let half = count / 2
        sum(first, half, into: out, level: level + 1)
        let high = scratch + level * width
        sum(first + half, count - half, into: high, level: level + 1)
        for column in 0..<width { out[column] += high[column] }
    }
    sum(0, rowCount, into: result, level: 0)
}

/// The scratch `columnPairwiseSums` needs for `rowCount` rows of `width` columns.
func columnPairwiseScratchCount(rowCount: Int, width: Int) -> Int {
    var levels = 1
    var count = rowCount
    while count > 8 {
        count = (count + 1) / 2
        levels += 1
    }
    return levels * width
}
