public import GaussianNLL
public import Judge

/// A named property of conforming implementations, checked against a candidate.
///
/// Checks have stable ids, because expected-failure lists and reports name them.
public protocol ConformanceCheck: Sendable {
    var id: String { get }
    /// The report category, such as `golden`, `broadcast` or `errors`.
    var category: String { get }
    /// What the check guarantees, in one line.
    var title: String { get }
    /// Runs the check; never traps on a misbehaving candidate.
    func run(in context: CheckContext) -> CheckResult
}

/// How many cases the randomized checks draw.
public enum Budget: String, Sendable, Codable, CaseIterable {
    case quick
    case `default`
    case thorough

    /// Cases per property.
    public var casesPerProperty: Int {
        switch self {
        case .quick: 50
        case .default: 300
        case .thorough: 3000
        }
    }
}

/// What a check runs with: the candidate, the profile, the judge, the seed and the budget.
public final class CheckContext: @unchecked Sendable {
    public let candidate: any Candidate
    public let profile: Profile
    public let judge: Judge
    public let seed: UInt64
    /// Cases per randomized property.
    public let casesPerProperty: Int
    /// Builds the one-line command that reruns a check, for failure reports.
    public let reproduction: (String) -> String

    public init(
        candidate: any Candidate, profile: Profile, judge: Judge = Judge(), seed: UInt64, casesPerProperty: Int,
        reproduction: @escaping (String) -> String
    ) {
        self.candidate = candidate
        self.profile = profile
        self.judge = judge
        self.seed = seed
        self.casesPerProperty = casesPerProperty
        self.reproduction = reproduction
    }

    /// Sends calls to the candidate in one batch, answering `unsupported` itself for calls that need a
    /// dtype or feature the candidate did not declare.
    public func answers(_ calls: [LossCase]) -> [CandidateAnswer] {
        answers(calls, whilePreparing: {}).answers
    }

    /// Sends calls to the candidate in one batch and, while it works on them, runs `prepare` on this thread.
    ///
    /// For work that does not depend on the answers, such as the oracle's expectations: the suite and the
    /// candidate then run at the same time instead of taking turns. The candidate is called from one other
    /// thread at a time, never concurrently with itself.
    public func answers<Prepared>(
        _ calls: [LossCase], whilePreparing prepare: () -> Prepared
    ) -> (answers: [CandidateAnswer], prepared: Prepared) {
        var answers = [CandidateAnswer?](repeating: nil, count: calls.count)
        var forwarded = [LossCase]()
        var positions = [Int]()
        for (index, call) in calls.enumerated() {
            if let reason = candidate.info.unsupportedReason(for: call) {
                answers[index] = .outcome(
                    .rejection(Rejection(kind: .unsupported, exceptionType: "", message: reason)))
            } else {
                forwarded.append(call)
                positions.append(index)
            }
        }
        let prepared: Prepared
        if !forwarded.isEmpty {
            nonisolated(unsafe) let candidate = candidate
            let pending = Background { candidate.evaluate(forwarded) }
            prepared = prepare()
            let replies = pending.result.get()
            for (position, index) in positions.enumerated() {
                answers[index] =
                    position < replies.count
                    ? replies[position]
                    : .fault(CandidateFault(kind: .protocolViolation, message: "the candidate gave too few answers"))
            }
        } else {
            prepared = prepare()
        }
        return (answers.map { $0! }, prepared)
    }

    /// Judges one answer against the oracle under this context's profile.
    public func judge(_ answer: CandidateAnswer, for call: LossCase) -> CaseJudgement {
        judge(answer, for: call, expected: Oracle.evaluate(call, profile: profile))
    }

    /// Judges one answer against a given expectation.
    public func judge(_ answer: CandidateAnswer, for call: LossCase, expected: ExactOutcome) -> CaseJudgement {
        switch answer {
        case .fault(let fault):
            return CaseJudgement(
                status: .failed, findings: ["candidate fault: \(fault)"], worstRatios: [:], messageMatches: nil)
        case .outcome(let outcome):
            return judge.judge(outcome, expected: expected, call: call)
        }
    }

    /// Runs calls and judges each against the oracle, recording them into a check result.
    public func runCases(_ calls: [LossCase], into result: inout CheckResult) {
        let command = reproduction(result.id)
        for (call, answer) in zip(calls, answers(calls)) {
            result.record(judge(answer, for: call), call: call, reproduction: command)
        }
    }
}
