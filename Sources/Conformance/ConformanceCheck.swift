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
    /// Whether the check judges only the cases of ``CheckContext/stripe`` and records its stripe
    /// (``CheckResult/stripe``) when the context has one, so that a sharded run gives every shard a stripe of its
    /// cases; otherwise a sharded run gives the whole check to one shard. `false` unless a check says otherwise.
    var runsInStripes: Bool { get }
    /// Runs the check; never traps on a misbehaving candidate.
    func run(in context: CheckContext) -> CheckResult
}

extension ConformanceCheck {
    public var runsInStripes: Bool { false }
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

/// What a check runs with: the session that answers and judges, and the run's settings (seed, budget, and how
/// to reproduce a failure).
public final class CheckContext: @unchecked Sendable {
    /// Sends calls to the candidate and judges the answers.
    public let session: CandidateSession
    public let seed: UInt64
    /// Cases per randomized property.
    public let casesPerProperty: Int
    /// Builds the one-line command that reruns a check, for failure reports.
    public let reproduction: (String) -> String
    /// The stripe of every check's cases that this run judges, in a sharded run; `nil`: every case.
    public let stripe: CaseStripe?

    public init(
        session: CandidateSession, seed: UInt64, casesPerProperty: Int, stripe: CaseStripe? = nil,
        reproduction: @escaping (String) -> String
    ) {
        self.session = session
        self.seed = seed
        self.casesPerProperty = casesPerProperty
        self.stripe = stripe
        self.reproduction = reproduction
    }

    /// A context with a new session for `candidate` under `profile`.
    public convenience init(
        candidate: any Candidate, profile: Profile, judge: Judge = Judge(), seed: UInt64, casesPerProperty: Int,
        stripe: CaseStripe? = nil, reproduction: @escaping (String) -> String
    ) {
        self.init(
            session: CandidateSession(candidate: candidate, profile: profile, judge: judge), seed: seed,
            casesPerProperty: casesPerProperty, stripe: stripe, reproduction: reproduction)
    }

    /// The candidate under test.
    public var candidate: any Candidate { session.candidate }
    /// The profile the candidate is judged under.
    public var profile: Profile { session.profile }
    /// The tolerance model.
    public var judge: Judge { session.judge }

    /// See ``CandidateSession/answers(_:)``.
    public func answers(_ calls: [LossCase]) -> [CandidateAnswer] { session.answers(calls) }

    /// See ``CandidateSession/answers(_:whilePreparing:)``.
    public func answers<Prepared>(
        _ calls: [LossCase], whilePreparing prepare: () -> Prepared
    ) -> (answers: [CandidateAnswer], prepared: Prepared) {
        session.answers(calls, whilePreparing: prepare)
    }

    /// See ``CandidateSession/judge(_:for:)``.
    public func judge(_ answer: CandidateAnswer, for call: LossCase) -> CaseJudgement {
        session.judge(answer, for: call)
    }

    /// See ``CandidateSession/judge(_:for:expected:)``.
    public func judge(_ answer: CandidateAnswer, for call: LossCase, expected: ExactOutcome) -> CaseJudgement {
        session.judge(answer, for: call, expected: expected)
    }

    /// Runs calls and judges each against the oracle, recording them into a check result.
    ///
    /// The calls are the check's cases 0, 1, …: with a ``stripe``, only those of the stripe are sent, and the result
    /// records its stripe, so a check whose cases are one list of calls run here once can run in stripes.
    public func runCases(_ calls: [LossCase], into result: inout CheckResult) {
        let command = reproduction(result.id)
        guard let stripe else {
            for (call, answer) in zip(calls, answers(calls)) {
                result.record(judge(answer, for: call), call: call, reproduction: command)
            }
            return
        }
        if result.stripe == nil { result.stripe = StripeRecord(stripe: stripe) }
        let indices = Array(stride(from: stripe.index - 1, to: calls.count, by: stripe.count))
        let mine = indices.map { calls[$0] }
        for (index, (call, answer)) in zip(indices, zip(mine, answers(mine))) {
            result.record(judge(answer, for: call), call: call, caseIndex: index, reproduction: command)
        }
    }
}
