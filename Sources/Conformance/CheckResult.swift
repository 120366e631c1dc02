public import GaussianNLL
public import Judge

/// How a check ended.
public enum CheckStatus: String, Sendable, Codable, CaseIterable {
    /// Every case conformed (skipped cases aside), and at least one case ran.
    case passed
    /// At least one case did not conform, or the candidate faulted.
    case failed
    /// Every case was skipped: the candidate does not support what the check needs.
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
    /// The smallest failing case, when the check failed; or why the check could not run.
    public var failure: CheckFailure?

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
    }

    /// Counts one judged case.
    public mutating func record(_ judgement: CaseJudgement, call: LossCase, reproduction: @autoclosure () -> String) {
        cases += 1
        if judgement.messageMatches == false { messageMismatches += 1 }
        if judgement.worstRatio.isFinite { worstRatio = Swift.max(worstRatio, judgement.worstRatio) }
        switch judgement.status {
        case .passed:
            passedCases += 1
        case .skipped:
            skippedCases += 1
        case .failed:
            failedCases += 1
            let size = call.input.elementCount + call.target.elementCount + (call.variance.tensor?.elementCount ?? 1)
            if failure == nil || size < (failure?.caseSize ?? .max) {
                failure = CheckFailure(
                    message: judgement.findings.joined(separator: "; "), call: CaseRecord(call), caseSize: size,
                    reproduction: reproduction())
            }
        }
    }

    /// Sets the status from the counts, unless the check already ended in an error.
    public mutating func finish() {
        guard status != .error else { return }
        if failedCases > 0 {
            status = .failed
        } else if passedCases > 0 {
            status = .passed
        } else {
            status = .skipped
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
}
