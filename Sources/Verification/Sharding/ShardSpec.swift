public import Conformance

/// One part of a run split N ways: `K/N`, with K from 1 to N.
///
/// Every check that runs in stripes (the golden and property checks, ``ConformanceCheck/runsInStripes``) runs
/// in every shard, on the shard's stripe of its cases (``stripe``: case i of a check goes to shard `i mod N + 1`),
/// so that each shard does about 1/N of every check. A check that does not run in stripes goes whole to one
/// shard, split by id, so that every shard of one run agrees on the split without talking to the others: the
/// distinct ids are sorted, and the i-th (from 0) goes to shard `i mod N + 1`. The split depends only on the ids
/// and the case indices, not on the process, the platform or the order checks run in; checks that share an id go
/// to the same shard.
///
/// ```swift
/// let shard = try ShardSpec(parsing: "2/4")
/// let mine = shard.select(checks)      // every striped check, and a quarter of the others, in run order
/// ```
public struct ShardSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which shard, from 1 to ``count``.
    public let index: Int
    /// How many shards.
    public let count: Int

    /// The whole run as one shard.
    public static let whole = try! ShardSpec(index: 1, count: 1)

    /// A shard; throws unless `1 ≤ index ≤ count`.
    public init(index: Int, count: Int) throws(ShardSpecError) {
        guard count >= 1 else { throw ShardSpecError(text: "\(index)/\(count)", reason: "N must be at least 1") }
        guard (1...count).contains(index) else {
            throw ShardSpecError(text: "\(index)/\(count)", reason: "K must be between 1 and N (\(count))")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`, such as `1/4`.
    public init(parsing text: String) throws(ShardSpecError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardSpecError(text: text, reason: "expected K/N with whole numbers, such as 1/4")
        }
        try self.init(index: index, count: count)
    }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// The shard each id goes to (1-based), for a suite with these ids.
    public static func assignment(of ids: some Sequence<String>, count: Int) -> [String: Int] {
        let distinct = Set(ids).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var shards = [String: Int]()
        for (rank, id) in distinct.enumerated() { shards[id] = rank % max(count, 1) + 1 }
        return shards
    }

    /// The stripe of every check's cases that this shard judges.
    public var stripe: CaseStripe { CaseStripe(index: index, count: count)! }

    /// The checks this shard runs, in the order given: every check that runs in stripes, and those of the others
    /// whose ids fall in this shard (among the ids of all the checks).
    public func select(_ checks: [any ConformanceCheck]) -> [any ConformanceCheck] {
        let shards = Self.assignment(of: checks.map(\.id), count: count)
        return checks.filter { $0.runsInStripes || shards[$0.id] == index }
    }

    /// The ids of this shard, in the order given, when no check runs in stripes.
    public func select(ids: [String]) -> [String] {
        select(ids, id: { $0 })
    }

    /// The elements whose ids fall in this shard, in the order given, when no check runs in stripes.
    public func select<Element>(_ elements: [Element], id: (Element) -> String) -> [Element] {
        let shards = Self.assignment(of: elements.map(id), count: count)
        return elements.filter { shards[id($0)] == index }
    }
}

/// A shard that is not `K/N` with 1 ≤ K ≤ N.
public struct ShardSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "invalid shard '\(text)': \(reason)" }
}
