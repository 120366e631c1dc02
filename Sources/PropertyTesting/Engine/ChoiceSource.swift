internal import GaussianNLL

/// Where a generator's random choices come from, and the record of every choice it made.
///
/// Generators never see a random number generator: they ask a choice source for integers below a bound.
/// A fresh source draws them from ``SplitMix64``; a replaying source hands back a recorded sequence, and
/// zeros once it runs out. Shrinking edits the recorded sequence (deletes, zeroes and lowers choices) and
/// replays it, so a generator written with its simplest option at choice 0 shrinks for free, in the
/// style of Hypothesis's choice sequences.
///
/// Generators therefore list options simplest first: rank 0 before rank 6, size 1 before size 5,
/// float32 before float16, eps 1e-6 before eps 0, plain values before special ones.
public struct ChoiceSource: Sendable {
    /// Every choice made so far, in order.
    public private(set) var choices: [UInt64] = []
    private let prefix: [UInt64]
    private var generator: SplitMix64?

    /// A source of fresh random choices.
    public init(seed: UInt64) {
        prefix = []
        generator = SplitMix64(seed: seed)
    }

    /// A source that replays recorded choices, clamped to each bound, then answers 0 for every choice.
    public init(replaying choices: [UInt64]) {
        prefix = choices
        generator = nil
    }

    /// A choice in `0..<bound`; `bound` must be positive.
    public mutating func choice(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "a choice needs at least one option")
        let value: UInt64
        if choices.count < prefix.count {
            value = Swift.min(prefix[choices.count], bound - 1)
        } else if var random = generator {
            value = random.below(bound)
            generator = random
        } else {
            value = 0
        }
        choices.append(value)
        return value
    }

    /// An integer in a range; shrinks toward the lower end.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(choice(below: width))
    }

    /// An index into a collection of `count` elements; shrinks toward 0.
    public mutating func index(_ count: Int) -> Int {
        Int(choice(below: UInt64(Swift.max(count, 1))))
    }

    /// One of the elements, the first being the simplest.
    public mutating func element<T>(_ options: [T]) -> T {
        options[index(options.count)]
    }

    /// True with probability `probability`; shrinks toward false.
    public mutating func chance(_ probability: Double) -> Bool {
        let resolution: UInt64 = 1 << 20
        let threshold = UInt64((1 - Swift.min(Swift.max(probability, 0), 1)) * Double(resolution))
        let result = choice(below: resolution) >= threshold
        canonicalizeLast(result ? threshold : 0)
        return result
    }

    /// Records the last choice as the smallest value that gives the same outcome, so that shrinking does not
    /// crawl through choices that all mean the same thing.
    private mutating func canonicalizeLast(_ value: UInt64) {
        choices[choices.count - 1] = value
    }

    /// One option with probability proportional to its weight; options come simplest first.
    public mutating func weighted<T>(_ options: [(Double, T)]) -> T {
        options[pick(WeightTable(options.map(\.0)))].1
    }

    /// The index of an option drawn from a weight table; shrinks toward the first option with weight.
    mutating func pick(_ table: WeightTable) -> Int {
        let drawn = Int(choice(below: UInt64(WeightTable.resolution)))
        var position = 0
        while position < table.ticks.count - 1 && drawn >= table.ticks[position] { position += 1 }
        canonicalizeLast(position == 0 ? 0 : UInt64(Swift.min(table.ticks[position - 1], drawn)))
        return position
    }

    /// A double in [0, 1) with 53 bits; shrinks toward 0.
    public mutating func unitInterval() -> Double {
        Double(choice(below: 1 << 53)) * 0x1p-53
    }
}

/// Cumulative weights scaled to 2^16 ticks, precomputed for the generators' hot paths.
struct WeightTable: Sendable {
    static let resolution = 1 << 16
    let ticks: [Int]

    init(_ weights: [Double]) {
        let total = weights.reduce(0) { $0 + Swift.max($1, 0) }
        var running = 0.0
        ticks = weights.map { weight in
            running += Swift.max(weight, 0)
            return total > 0 ? Int((running / total * Double(Self.resolution)).rounded()) : Self.resolution
        }
    }
}
