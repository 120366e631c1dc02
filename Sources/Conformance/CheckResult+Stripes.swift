internal import GaussianNLL
internal import Judge

extension CheckResult {
    /// The result of the whole check, from the results of its N stripes (``CaseStripe``): what an unsharded run of
    /// the check gives, apart from a failure's shrinking, which the stripe that holds the case did as an unsharded
    /// run would.
    ///
    /// - A check that ended in an error ends in the error of the stripe that met it at the lowest case index.
    /// - A check that judges every case (golden replay) adds up every stripe's counts, histograms and outputs, takes
    ///   the largest worst ratio, and keeps the smallest failing case, the lowest index among equals.
    /// - A check that stops after the block that holds its first failure (a property, ``StripeRecord/blockSize``)
    ///   counts the blocks up to and including that of the lowest failing case index among the stripes, and keeps
    ///   that case's failure.
    /// - A check that judged no case names the first reason a case was skipped, or the stripes' own not-run reason.
    ///
    /// - Parameter parts: One result of the same check per stripe, each with its ``stripe`` record, in any order.
    /// - Throws: ``StripeMergeError`` when the parts are not the N stripes of one check.
    public static func merging(stripes parts: [CheckResult]) throws(StripeMergeError) -> CheckResult {
        guard let first = parts.first else { throw StripeMergeError("no stripe to merge") }
        let name = "check '\(first.id)'"
        var records = [StripeRecord]()
        for part in parts {
            guard let record = part.stripe, record.stripe != nil else {
                throw StripeMergeError("\(name) has a result without a valid stripe record")
            }
            guard part.id == first.id, part.category == first.category, part.title == first.title else {
                throw StripeMergeError("\(name): the stripes are of different checks ('\(part.id)')")
            }
            records.append(record)
        }
        let count = records[0].count
        guard records.allSatisfy({ $0.count == count && $0.blockSize == records[0].blockSize }) else {
            throw StripeMergeError("\(name): the stripes are of different splits")
        }
        let indices = records.map(\.index)
        guard indices.count == count, Set(indices) == Set(1...count) else {
            let missing = Set(1...count).subtracting(indices).sorted().map { "\($0)/\(count)" }
            throw StripeMergeError(
                missing.isEmpty
                    ? "\(name): a stripe is given twice"
                    : "\(name): stripe\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) missing")
        }

        // An unsharded run stops at the first error.
        let errors = parts.filter { $0.status == .error }
        if var error = errors.min(by: { ($0.stripe?.errorIndex ?? -1) < ($1.stripe?.errorIndex ?? -1) }) {
            error.stripe = nil
            return error
        }

        var merged = CheckResult(id: first.id, category: first.category, title: first.title)
        let firstFailure = records.compactMap(\.firstFailureIndex).min()
        if let blockSize = records[0].blockSize {
            let blocks = firstFailure.map { $0 / max(blockSize, 1) + 1 } ?? .max
            for record in records {
                for block in (record.blocks ?? []).prefix(blocks) { merged.add(block) }
            }
            if let firstFailure {
                merged.failure = parts.first { $0.stripe?.firstFailureIndex == firstFailure }?.failure
            }
        } else {
            for part in parts {
                merged.cases += part.cases
                merged.passedCases += part.passedCases
                merged.failedCases += part.failedCases
                merged.skippedCases += part.skippedCases
                merged.messageMismatches += part.messageMismatches
                merged.worstRatio = Swift.max(merged.worstRatio, part.worstRatio)
                for (dtype, histogram) in part.ratioHistograms {
                    merged.ratioHistograms[dtype, default: RatioHistogram()].merge(histogram)
                }
                if let outputs = part.bitExactOutputs {
                    merged.bitExactOutputs = (merged.bitExactOutputs ?? 0) + outputs
                }
                if let outputs = part.comparedOutputs {
                    merged.comparedOutputs = (merged.comparedOutputs ?? 0) + outputs
                }
            }
            let failing = parts.filter { $0.failedCases > 0 && $0.failure != nil }
            merged.failure =
                failing.min { a, b in
                    let (sa, sb) = (a.failure!.caseSize, b.failure!.caseSize)
                    return sa != sb ? sa < sb : (a.stripe?.failureIndex ?? .max) < (b.stripe?.failureIndex ?? .max)
                }?.failure
        }
        merged.firstSkipReason =
            records.filter { $0.firstSkipIndex != nil }.min {
                $0.firstSkipIndex! < $1.firstSkipIndex!
            }?.firstSkipReason
        if merged.cases == 0 && parts.allSatisfy({ $0.status == .skipped }) {
            // Every stripe gives the same reason when the check drew no case: the check's own, or that it drew none.
            merged.status = .skipped
            merged.failure = first.failure
            merged.firstSkipReason = nil
        } else {
            merged.finish()
        }
        return merged
    }

    /// Adds one stripe's counts in one block.
    private mutating func add(_ block: StripeBlock) {
        cases += block.cases
        passedCases += block.passedCases
        failedCases += block.failedCases
        skippedCases += block.skippedCases
        messageMismatches += block.messageMismatches
        worstRatio = Swift.max(worstRatio, block.worstRatio)
        for (dtype, bins) in block.ratioBins {
            var histogram = ratioHistograms[dtype, default: RatioHistogram()]
            for (bin, count) in bins {
                if let bin = Int(bin), histogram.counts.indices.contains(bin) { histogram.counts[bin] += count }
            }
            histogram.maximum = Swift.max(histogram.maximum, block.ratioMaxima[dtype] ?? 0)
            ratioHistograms[dtype] = histogram
        }
    }
}

extension StripeBlock {
    /// Counts one judged case, as ``CheckResult/record(_:call:caseIndex:reproduction:)`` counts it.
    mutating func add(_ judgement: CaseJudgement) {
        cases += 1
        if judgement.messageMatches == false { messageMismatches += 1 }
        let ratio = judgement.worstRatio
        if ratio.isFinite { worstRatio = Swift.max(worstRatio, ratio) }
        if let dtype = judgement.dtype?.rawValue, !judgement.worstRatios.isEmpty {
            ratioBins[dtype, default: [:]][String(RatioHistogram.bin(for: ratio)), default: 0] += 1
            if ratio.isFinite { ratioMaxima[dtype] = Swift.max(ratioMaxima[dtype] ?? 0, ratio) }
        }
        switch judgement.status {
        case .passed: passedCases += 1
        case .skipped: skippedCases += 1
        case .failed: failedCases += 1
        }
    }
}

/// Stripes of a check that cannot be merged, and why.
public struct StripeMergeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
