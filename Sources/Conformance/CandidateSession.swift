public import GaussianNLL
public import Judge

/// A candidate under a profile: sends it calls and judges its answers against the oracle.
///
/// This is the service every source of checks uses (golden replay, the property tester, the fuzzer, replays
/// of stored failures); it knows nothing of seeds, budgets or reports.
///
/// ```swift
/// let session = CandidateSession(candidate: ReferenceCandidate(), profile: .torch2_10)
/// let answers = session.answers(calls)
/// let judgements = zip(calls, answers).map { session.judge($1, for: $0) }
/// ```
public final class CandidateSession: @unchecked Sendable {
    public let candidate: any Candidate
    public let profile: Profile
    public let judge: Judge

    public init(candidate: any Candidate, profile: Profile, judge: Judge = Judge()) {
        self.candidate = candidate
        self.profile = profile
        self.judge = judge
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
                answers[index] = .outcome(.rejection(.notSent(reason)))
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

    /// Judges one answer against the oracle under this session's profile.
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
}
