public import GaussianNLL

/// The fuzzer's conversions of ``SplitMix64``'s bits, each in integer arithmetic, so that one seed mutates
/// the same way on every machine and Swift version.
///
/// ```swift
/// var random = SplitMix64(seed: 7)
/// random.integer(below: 10)   // an integer in 0..<10
/// random.chance(1, in: 4)     // true about one time in four
/// random.element(of: [1, 2])  // 1 or 2
/// ```
extension SplitMix64 {
    /// A uniform integer in `0..<bound` (``SplitMix64/below(_:)``); 0 when `bound` is not positive.
    public mutating func integer(below bound: Int) -> Int {
        guard bound > 0 else { return 0 }
        return Int(below(UInt64(bound)))
    }

    /// A uniform integer in a closed range.
    public mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + integer(below: range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        integer(below: denominator) < numerator
    }

    /// A uniformly chosen element; the collection must not be empty.
    public mutating func element<C: RandomAccessCollection>(of collection: C) -> C.Element where C.Index == Int {
        collection[collection.startIndex + integer(below: collection.count)]
    }

    /// An independent generator for a sub-task, derived from this one's next output.
    public mutating func split() -> SplitMix64 {
        SplitMix64(seed: next())
    }
}
