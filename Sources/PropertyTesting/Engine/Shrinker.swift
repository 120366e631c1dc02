/// Shrinks a failing choice sequence toward the simplest one that still fails.
///
/// A sequence is simpler when it is shorter, or as long and lexicographically smaller ("shortlex"), so every
/// accepted step makes progress and shrinking ends. The passes, repeated until none helps or the budget is
/// spent:
/// 1. prefixes, the rest read as zeros: the empty sequence (every generator's defaults), the first
///    few choices, and sixteenths of the sequence;
/// 2. zeroing blocks of 8, 4, 2 and 1 choices;
/// 3. deleting blocks of 8, 4, 2 and 1 choices;
/// 4. lowering single choices: to 0, to 1, halved, by a quarter, a sixteenth, 1/256, and by one.
///
/// Candidate sequences are tested in batches, so that a candidate in another process answers one batch of
/// calls per shrink round rather than one call at a time.
struct Shrinker {
    /// The most candidate sequences tested in all.
    var maximumAttempts: Int
    /// How many candidates one batch tests.
    var batchSize: Int
    /// Tests candidates; for each, the choices the generator actually consumed when the candidate still fails,
    /// or `nil` when it passes.
    var test: ([[UInt64]]) -> [[UInt64]?]

    private(set) var attempts = 0
    private(set) var improvements = 0

    init(maximumAttempts: Int, batchSize: Int = 24, test: @escaping ([[UInt64]]) -> [[UInt64]?]) {
        self.maximumAttempts = maximumAttempts
        self.batchSize = batchSize
        self.test = test
    }

    /// Whether `a` is simpler than `b`.
    static func isSimpler(_ a: [UInt64], than b: [UInt64]) -> Bool {
        if a.count != b.count { return a.count < b.count }
        return a.lexicographicallyPrecedes(b)
    }

    /// The simplest failing sequence found, starting from a failing one.
    mutating func shrink(_ start: [UInt64]) -> [UInt64] {
        var current = Self.trimmed(start)
        var progressed = true
        while progressed && attempts < maximumAttempts {
            progressed = false
            for pass in Pass.allCases {
                // Candidates before the cursor failed to improve; after an improvement the list is rebuilt
                // for the new sequence and the search goes on from about the same place.
                var cursor = 0
                while attempts < maximumAttempts {
                    let candidates = Self.candidates(pass, from: current)
                    guard cursor < candidates.count else { break }
                    let end = Swift.min(cursor + batchSize, candidates.count, cursor + maximumAttempts - attempts)
                    let mergeable = pass == .zeroBlocks || pass == .lowerChoices
                    if let better = simplestFailure(
                        Array(candidates[cursor..<end]), over: current, mergeable: mergeable)
                    {
                        current = better
                        progressed = true
                    } else {
                        cursor = end
                    }
                }
            }
        }
        return current
    }

    /// Tests one batch; returns the simplest candidate that still fails and is simpler than `current`.
    ///
    /// When several candidates of an element-wise pass (zeroing, lowering) still fail, their element-wise
    /// minimum, which makes all their changes at once, is tried as well: one more attempt that often saves a
    /// round per change.
    private mutating func simplestFailure(
        _ batch: [[UInt64]], over current: [UInt64], mergeable: Bool
    ) -> [UInt64]? {
        let useful = batch.filter { Self.isSimpler($0, than: current) }
        guard !useful.isEmpty else { return nil }
        attempts += useful.count
        var best: [UInt64]?
        var failing = [[UInt64]]()
        for (candidate, consumed) in zip(useful, test(useful)) {
            guard let consumed else { continue }
            failing.append(candidate)
            if let simplest = simplified(candidate, consumed: consumed, over: current),
                best == nil || Self.isSimpler(simplest, than: best!)
            {
                best = simplest
            }
        }
        if mergeable && failing.count > 1 && attempts < maximumAttempts {
            let merged = (0..<current.count).map { position in failing.map { $0[position] }.min() ?? 0 }
            attempts += 1
            if let consumed = test([merged])[0], let simplest = simplified(merged, consumed: consumed, over: current),
                best == nil || Self.isSimpler(simplest, than: best!)
            {
                best = simplest
            }
        }
        if best != nil { improvements += 1 }
        return best
    }

    /// The simpler of a failing candidate and the choices the generator read from it, if simpler than `current`.
    private func simplified(_ candidate: [UInt64], consumed: [UInt64], over current: [UInt64]) -> [UInt64]? {
        // The choices the generator read (canonical, clamped to their bounds, zeros past the candidate's end)
        // rebuild the same case, as does the candidate.
        let effective = Self.trimmed(consumed)
        let simplest = Self.isSimpler(effective, than: candidate) ? effective : Self.trimmed(candidate)
        return Self.isSimpler(simplest, than: current) ? simplest : nil
    }

    /// Trailing zeros are what a replay reads past the end anyway.
    static func trimmed(_ choices: [UInt64]) -> [UInt64] {
        var result = choices
        while result.last == 0 { result.removeLast() }
        return result
    }

    enum Pass: CaseIterable {
        case prefixes
        case zeroBlocks
        case deleteBlocks
        case lowerChoices
    }

    /// The candidates of one pass, in the order they are tried.
    static func candidates(_ pass: Pass, from current: [UInt64]) -> [[UInt64]] {
        let count = current.count
        var result = [[UInt64]]()
        switch pass {
        case .prefixes:
            // Everything after a point set to 0: the first few choices, then sixteenths of the sequence.
            var lengths = Set(0..<Swift.min(count, 8))
            for sixteenth in 1..<16 { lengths.insert(count * sixteenth / 16) }
            for length in lengths.sorted() where length < count { result.append(Array(current[..<length])) }
        case .zeroBlocks:
            for size in [8, 4, 2, 1] where size <= count {
                for start in stride(from: 0, through: count - size, by: Swift.max(size / 2, 1)) {
                    guard current[start..<start + size].contains(where: { $0 != 0 }) else { continue }
                    var zeroed = current
                    for position in start..<start + size { zeroed[position] = 0 }
                    result.append(zeroed)
                }
            }
        case .deleteBlocks:
            for size in [8, 4, 2, 1] where size <= count {
                for start in stride(from: 0, through: count - size, by: 1) {
                    var shorter = current
                    shorter.removeSubrange(start..<start + size)
                    result.append(shorter)
                }
            }
        case .lowerChoices:
            for position in 0..<count where current[position] != 0 {
                let value = current[position]
                // Toward 0 in halving steps, so that a wide range of equivalent choices is crossed quickly.
                let steps = [0, 1, value / 2, value - value / 4, value - value / 16, value - value / 256, value - 1]
                for lowered in Set(steps).sorted() where lowered < value {
                    var smaller = current
                    smaller[position] = lowered
                    result.append(smaller)
                }
            }
        }
        return result
    }
}
