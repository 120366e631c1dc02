internal import Foundation
public import GaussianNLL
public import Judge

/// How a check ended.
public enum CheckStatus: String, Sendable, Codable, CaseIterable {
    /// Every case conformed (skipped cases aside), and at least one case ran.
    case passed
    /// At least one case did not conform, or the candidate faulted.
    case failed
    /// Not run: no case was judged. Every case was skipped (it needs a dtype or feature the candidate does not
    /// declare, or the suite cannot send or evaluate it), or the check drew none. A check that did not run
    /// proves nothing: it fails the verdict unless an expected-failures entry names it. (The results file keeps
    /// the name `skipped`.)
    case skipped
    /// The suite could not decide: a golden file it could not read, or an oracle that disagrees
    /// with PyTorch.
    case error
}

/// The outcome of one check, as the results file records it.
public struct CheckResult: Sendable, Codable, Equatable {
    /// A stable id such as `golden.var_forms` that expected-failure lists and reports name.
    public var id: String
    /// The group the check belongs to, for report matrices.
    public var category: String
    /// What the check guarantees, in one line.
    public var title: String
    public var status: CheckStatus
    /// How many cases ran, and how they ended.
    public var cases: Int
    public var passedCases: Int
    public var failedCases: Int
    public var skippedCases: Int
    /// The largest |error| / bound over all compared outputs (0 when none were compared).
    public var worstRatio: Double
    /// Rejections of the right kind whose message is not PyTorch's, to the letter (information only).
    public var messageMismatches: Int
    /// Outputs bitwise identical to PyTorch's recorded ones, out of those compared (golden checks only).
    public var bitExactOutputs: Int?
    public var comparedOutputs: Int?
    /// The smallest failing case, when the check failed; or why the check could not run or did not run.
    public var failure: CheckFailure?
    /// Per loss dtype: how many compared cases fell into each bin of |error| / bound (see ``RatioHistogram``).
    public var ratioHistograms: [String: RatioHistogram]
    /// In a shard's results, what the merge needs of this stripe of the check's cases (``CaseStripe``); `nil` for a
    /// whole check.
    public var stripe: StripeRecord?
    /// Why the first skipped case was skipped ("unsupported: needs protocol 2 (…)"), to name in the not-run
    /// reason of a check that judged none; not part of the results file.
    var firstSkipReason: String?

    private enum CodingKeys: String, CodingKey {
        case id, category, title, status, cases, passedCases, failedCases, skippedCases, worstRatio
        case messageMismatches, bitExactOutputs, comparedOutputs, failure, ratioHistograms, stripe
    }

    public init(id: String, category: String, title: String) {
        self.id = id
        self.category = category
        self.title = title
        status = .skipped
        cases = 0
        passedCases = 0
        failedCases = 0
        skippedCases = 0
        worstRatio = 0
        messageMismatches = 0
        ratioHistograms = [:]
    }

    /// Counts one judged case.
    ///
    /// - Parameter caseIndex: The case's index in the whole check (from 0), which a result with a ``stripe``
    ///   record needs; without it, the case counts as the next one.
    public mutating func record(
        _ judgement: CaseJudgement, call: LossCase, caseIndex: Int? = nil, reproduction: @autoclosure () -> String
    ) {
        if stripe != nil { recordInStripe(judgement, caseIndex: caseIndex ?? cases) }
        cases += 1
        if judgement.messageMatches == false { messageMismatches += 1 }
        if judgement.worstRatio.isFinite { worstRatio = Swift.max(worstRatio, judgement.worstRatio) }
        if let dtype = judgement.dtype, !judgement.worstRatios.isEmpty {
            ratioHistograms[dtype.rawValue, default: RatioHistogram()].add(judgement.worstRatio)
        }
        switch judgement.status {
        case .passed:
            passedCases += 1
        case .skipped:
            skippedCases += 1
            if firstSkipReason == nil { firstSkipReason = judgement.findings.first }
        case .failed:
            failedCases += 1
            let size = call.input.elementCount + call.target.elementCount + (call.variance.tensor?.elementCount ?? 1)
            if failure == nil || size < (failure?.caseSize ?? .max) {
                stripe?.failureIndex = caseIndex ?? (cases - 1)
                failure = CheckFailure(
                    message: judgement.findings.joined(separator: "; "), call: CaseRecord(call), caseSize: size,
                    reproduction: reproduction())
            }
        }
    }

    /// Updates the stripe record for one case of the stripe.
    private mutating func recordInStripe(_ judgement: CaseJudgement, caseIndex index: Int) {
        guard var record = stripe else { return }
        switch judgement.status {
        case .passed: break
        case .skipped:
            // As `firstSkipReason`: the first skipped case that says why.
            if judgement.findings.first != nil, record.firstSkipIndex.map({ index < $0 }) ?? true {
                record.firstSkipIndex = index
                record.firstSkipReason = judgement.findings.first
            }
        case .failed:
            if record.firstFailureIndex.map({ index < $0 }) ?? true { record.firstFailureIndex = index }
        }
        if let size = record.blockSize, size > 0, var blocks = record.blocks {
            let block = index / size
            while blocks.count <= block { blocks.append(StripeBlock()) }
            blocks[block].add(judgement)
            record.blocks = blocks
        }
        stripe = record
    }

    /// Sets the status from the counts, unless the check already ended in an error; a check that judged no case
    /// did not run, and records why (`reason`, or that every case was skipped).
    public mutating func finish(notRunReason reason: String? = nil) {
        // A finished result equals its own decoded results record, which has no skip reason.
        defer { firstSkipReason = nil }
        guard status != .error else { return }
        if failedCases > 0 {
            status = .failed
        } else if passedCases > 0 {
            status = .passed
        } else {
            status = .skipped
            let noneJudged = "none of its \(skippedCases) case\(skippedCases == 1 ? "" : "s") was judged"
            let why =
                reason ?? firstSkipReason.map { "\(noneJudged); the first: \($0)" }
                ?? "\(noneJudged) (each needs a dtype or feature the candidate does not declare, or the suite cannot "
                + "send or evaluate it)"
            failure = CheckFailure(message: "not run: \(why)", call: nil, caseSize: 0, reproduction: nil)
        }
    }

    /// A check that could not run.
    public static func error(id: String, category: String, title: String, message: String) -> CheckResult {
        var result = CheckResult(id: id, category: category, title: title)
        result.status = .error
        result.failure = CheckFailure(message: message, call: nil, caseSize: 0, reproduction: nil)
        return result
    }
}

/// Why a check failed: the smallest failing case, what was wrong, and how to reproduce it.
public struct CheckFailure: Sendable, Codable, Equatable {
    public var message: String
    /// The case, complete enough to replay (`gnll replay`).
    public var call: CaseRecord?
    /// The number of operand elements of the case, to keep the smallest failure.
    public var caseSize: Int
    /// A one-line command that reruns the failing check.
    public var reproduction: String?

    public init(message: String, call: CaseRecord?, caseSize: Int, reproduction: String?) {
        self.message = message
        self.call = call
        self.caseSize = caseSize
        self.reproduction = reproduction
    }
}

/// A histogram of |error| / bound (each case's worst output): bin 0 counts exact results, bin i (1…20) counts
/// ratios in (2^(i−21), 2^(i−20)], so bin 20 is (1/2, 1]; bin 21 counts ratios above 1 (failures) and bin 22
/// NaN or infinite ratios (a NaN, infinity or finite value where the exact value is of another class).
/// Ratios below 2^−20 fall in bin 1.
public struct RatioHistogram: Sendable, Codable, Equatable {
    public static let binCount = 23
    public var counts: [Int]
    /// The largest finite ratio seen.
    public var maximum: Double

    public init() {
        counts = [Int](repeating: 0, count: Self.binCount)
        maximum = 0
    }

    /// The bin a ratio falls in.
    public static func bin(for ratio: Double) -> Int {
        if !ratio.isFinite { return 22 }
        if ratio == 0 { return 0 }
        if ratio > 1 { return 21 }
        let exponent = Int((Foundation.log2(ratio)).rounded(.up))
        return Swift.min(20, Swift.max(1, exponent + 20))
    }

    public mutating func add(_ ratio: Double) {
        counts[Self.bin(for: ratio)] += 1
        if ratio.isFinite { maximum = Swift.max(maximum, ratio) }
    }

    /// Adds another histogram's counts (for merging shards).
    public mutating func merge(_ other: RatioHistogram) {
        for index in counts.indices where index < other.counts.count { counts[index] += other.counts[index] }
        maximum = Swift.max(maximum, other.maximum)
    }
}
