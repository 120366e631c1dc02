import Conformance
public import GaussianNLL
public import Judge

/// A reproducer rerun against a candidate.
public struct ReplayResult: Sendable {
    public var call: LossCase
    public var answer: CandidateAnswer
    public var expected: ExactOutcome
    public var judgement: CaseJudgement
    /// The failure's signature now; `nil` when the case conforms or was skipped.
    public var signature: FailureSignature?

    /// Whether the case fails now.
    public var fails: Bool { judgement.status == .failed }
}

extension Reproducer {
    /// Reruns the case against a candidate and judges it under the reproducer's profile (or another).
    ///
    /// - Throws: `RecordError` (from Conformance) when the recorded case does not decode.
    public func replay(
        against candidate: any Candidate, profile: Profile? = nil, judge: Judge = Judge()
    ) throws
        -> ReplayResult
    {
        let call = try self.call.call()
        let profile = profile ?? self.profile
        let session = CandidateSession(candidate: candidate, profile: profile, judge: judge)
        let answer = session.answers([call])[0]
        let expected = Oracle.evaluate(call, profile: profile)
        let judgement = session.judge(answer, for: call, expected: expected)
        return ReplayResult(
            call: call, answer: answer, expected: expected, judgement: judgement,
            signature: FailureSignature.of(answer, expected: expected, call: call, judge: judge))
    }
}
