/// One stripe of every check's cases, for a run split N ways: stripe K of N holds the cases whose index i (from 0,
/// in the order an unsharded run judges them) has `i mod N = K − 1`.
///
/// A case's identity, seed and content depend on its index only, never on the stripe, so the N stripes of a check
/// judge exactly the cases of the whole check, each once. A check that supports stripes
/// (``ConformanceCheck/runsInStripes``) judges only the cases of ``CheckContext/stripe`` and attaches a
/// ``StripeRecord`` to its result, from which ``CheckResult/merging(stripes:)`` adds the stripes back up into the
/// result of the whole check.
///
/// ```swift
/// let stripe = try CaseStripe(index: 2, count: 3)
/// (0..<7).filter(stripe.contains)   // [1, 4]
/// ```
public struct CaseStripe: Sendable, Hashable, CustomStringConvertible {
    /// Which stripe, from 1 to ``count``.
    public let index: Int
    /// How many stripes.
    public let count: Int

    /// A stripe; `nil` unless `1 ≤ index ≤ count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Whether the case with this index (from 0) is in the stripe.
    public func contains(_ caseIndex: Int) -> Bool {
        caseIndex >= 0 && caseIndex % count == index - 1
    }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }
}

/// What a check's stripe needs beside its counts to be merged with the other stripes into the result of the whole
/// check; the `stripe` member of a check in a shard's results file.
///
/// Case indices are those of the whole check (from 0, in the order an unsharded run judges them).
public struct StripeRecord: Sendable, Codable, Equatable {
    /// Which stripe, from 1 to ``count``.
    public var index: Int
    /// How many stripes the check's cases were split into.
    public var count: Int
    /// For a check that stops after the block of `blockSize` cases that holds its first failure (a property): the
    /// block size; `nil` for a check that judges every case.
    public var blockSize: Int?
    /// For a check with a ``blockSize``: this stripe's counts in each block of the whole check, from block 0 to the
    /// last block it judged, so that the merge can count exactly the blocks an unsharded run judges.
    public var blocks: [StripeBlock]?
    /// The lowest index of a failing case of this stripe.
    public var firstFailureIndex: Int?
    /// The index of the case the stripe's failure describes (the smallest failing case, the first among equals).
    public var failureIndex: Int?
    /// The index of the case at which the check ended in an error (`cases` is then the number of cases of the whole
    /// check before it).
    public var errorIndex: Int?
    /// The lowest index of a skipped case of this stripe, and why it was skipped.
    public var firstSkipIndex: Int?
    public var firstSkipReason: String?

    public init(stripe: CaseStripe, blockSize: Int? = nil) {
        index = stripe.index
        count = stripe.count
        self.blockSize = blockSize
        blocks = blockSize == nil ? nil : []
    }

    /// The stripe, when ``index`` and ``count`` make one.
    public var stripe: CaseStripe? { CaseStripe(index: index, count: count) }
}

/// One stripe's counts within one block of a check's cases.
public struct StripeBlock: Sendable, Codable, Equatable {
    public var cases = 0
    public var passedCases = 0
    public var failedCases = 0
    public var skippedCases = 0
    public var messageMismatches = 0
    /// The largest finite |error| / bound of the block (0 when none was compared).
    public var worstRatio: Double = 0
    /// Per loss dtype, the nonzero bins of the block's histogram (``RatioHistogram``), by bin number.
    public var ratioBins: [String: [String: Int]] = [:]
    /// Per loss dtype, the largest finite ratio of the block's histogram.
    public var ratioMaxima: [String: Double] = [:]

    public init() {}
}
