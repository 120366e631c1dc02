import Conformance
public import GaussianNLL
public import Judge

/// A differential fuzzer: it mutates calls, sends them to a candidate in batches, judges every answer
/// against the oracle under the tolerance model, and keeps one reproducer per kind of failure.
///
/// It starts from ``SeedCases`` and grows a corpus of cases that behaved in a new way (a new rejection,
/// a non-finite output, a new form). Each later case is a mutant of a corpus case (``CaseMutator``). A
/// failure is deduplicated by its ``FailureSignature``; the first case of a new signature is shrunk
/// (a few rounds of simplifications that keep the signature) and saved as a ``Reproducer``. A later case
/// with the same signature replaces it only when it is smaller.
///
/// For one seed and a deterministic candidate, the cases are the same on every run.
///
/// ```swift
/// let fuzzer = DifferentialFuzzer(
///     candidate: ReferenceCandidate(), configuration: .init(profile: .current, seed: 1, outputDirectory: "out"))
/// let summary = fuzzer.run(limit: .cases(10_000))
/// print(summary.failures.map(\.signature))
/// ```
public final class DifferentialFuzzer {
    /// What a run does.
    public struct Configuration: Sendable {
        /// The profile to judge under.
        public var profile: Profile
        public var seed: UInt64
        /// How many cases go to the candidate at once.
        public var batchSize: Int
        /// Where reproducers are written; `nil` keeps them in memory only.
        public var outputDirectory: String?
        /// The most distinct failures kept; later new signatures are counted but not saved.
        public var maximumFailures: Int
        /// How many rounds of simplification a new failure gets (0: none).
        public var shrinkRounds: Int
        /// The sizes of cases.
        public var maximumOperandElements: Int
        public var maximumElements: Int
        /// The mutations to draw from.
        public var mutations: [Mutation]

        public init(
            profile: Profile, seed: UInt64, batchSize: Int = 64, outputDirectory: String? = nil,
            maximumFailures: Int = 200, shrinkRounds: Int = 24, maximumOperandElements: Int = 64,
            maximumElements: Int = 512, mutations: [Mutation] = Mutation.allCases
        ) {
            self.mutations = mutations
            self.profile = profile
            self.seed = seed
            self.batchSize = batchSize
            self.outputDirectory = outputDirectory
            self.maximumFailures = maximumFailures
            self.shrinkRounds = shrinkRounds
            self.maximumOperandElements = maximumOperandElements
            self.maximumElements = maximumElements
        }
    }

    /// When a run ends: after a number of cases, after a time, or at whichever comes first.
    public struct Limit: Sendable {
        public var cases: Int?
        public var duration: Duration?

        public init(cases: Int? = nil, duration: Duration? = nil) {
            self.cases = cases
            self.duration = duration
        }

        public static func cases(_ count: Int) -> Limit { Limit(cases: count) }
        /// A time limit; `seconds` must be finite.
        public static func seconds(_ seconds: Double) -> Limit { Limit(duration: .seconds(seconds)) }
    }

    public let configuration: Configuration
    public let judge: Judge
    private let session: CandidateSession
    private let mutator: CaseMutator
    private var random: SplitMix64
    private var corpus: [LossCase] = []
    private var behaviours: Set<String> = []
    private var failuresBySignature: [FailureSignature: FuzzFailure] = [:]
    private var failureOrder: [FailureSignature] = []
    private var statistics = FuzzProgress()
    /// Errors met while writing reproducers.
    public private(set) var writeErrors: [String] = []

    public init(candidate: any Candidate, configuration: Configuration, judge: Judge = Judge()) {
        self.configuration = configuration
        self.judge = judge
        session = CandidateSession(candidate: candidate, profile: configuration.profile, judge: judge)
        mutator = CaseMutator(
            profile: configuration.profile, maximumOperandElements: configuration.maximumOperandElements,
            maximumElements: configuration.maximumElements, mutations: configuration.mutations)
        random = SplitMix64(seed: configuration.seed)
    }

    /// The candidate under test.
    public var candidate: any Candidate { session.candidate }

    /// Runs until the limit, or until `shouldStop` says so (checked between batches); reports progress
    /// after every batch. A later call goes on where the last one stopped: the limit counts cases and
    /// time of this call, the progress those of every call.
    public func run(
        limit: Limit, progress: (FuzzProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) -> FuzzSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let earlier = statistics.elapsed
        let casesBefore = statistics.cases
        if corpus.isEmpty { corpus = SeedCases.all().compactMap(mutator.normalized) }
        var pendingSeeds = statistics.cases == 0 ? corpus : []
        while !shouldStop() {
            let elapsed = clock.now - start
            if let duration = limit.duration, elapsed >= duration { break }
            var size = configuration.batchSize
            if let cases = limit.cases {
                let done = statistics.cases - casesBefore
                guard done < cases else { break }
                size = min(size, cases - done)
            }
            var batch = [(call: LossCase, mutations: [Mutation])]()
            while batch.count < size && !pendingSeeds.isEmpty { batch.append((pendingSeeds.removeFirst(), [])) }
            while batch.count < size {
                // The limit holds while a batch is built too: a large batch of large cases takes a while.
                if batch.count % 16 == 15, let duration = limit.duration, clock.now - start >= duration { break }
                batch.append(nextMutant())
            }
            runBatch(batch)
            statistics.elapsed = earlier + (clock.now - start)
            progress(statistics)
        }
        statistics.elapsed = earlier + (clock.now - start)
        return FuzzSummary(
            progress: statistics, failures: failureOrder.compactMap { failuresBySignature[$0] },
            writeErrors: writeErrors)
    }

    /// A mutant of a corpus case.
    private func nextMutant() -> (call: LossCase, mutations: [Mutation]) {
        let parent = random.element(of: corpus)
        for _ in 0..<4 {
            let (call, mutations) = mutator.mutate(parent, random: &random)
            if !mutations.isEmpty { return (call, mutations) }
        }
        return (parent, [])
    }

    private func runBatch(_ batch: [(call: LossCase, mutations: [Mutation])]) {
        // The oracle's expectations do not depend on the answers: they are worked out while the candidate answers.
        let (answers, expectations) = session.answers(batch.map(\.call)) {
            batch.map { Oracle.evaluate($0.call, profile: configuration.profile) }
        }
        for (((call, mutations), answer), expected) in zip(zip(batch, answers), expectations) {
            statistics.cases += 1
            let judgement = session.judge(answer, for: call, expected: expected)
            switch judgement.status {
            case .skipped: statistics.skipped += 1
            case .passed: break
            case .failed:
                statistics.failingCases += 1
                record(call, answer: answer, expected: expected, judgement: judgement, mutations: mutations)
            }
            learn(call, expected: expected)
        }
    }

    /// Keeps cases that behave in a new way, and a few others, as parents.
    private func learn(_ call: LossCase, expected: ExactOutcome) {
        let behaviour = Self.behaviour(of: call, expected: expected)
        if behaviours.insert(behaviour).inserted || random.chance(1, in: 32) {
            if corpus.count < 2048 {
                corpus.append(call)
            } else {
                corpus[random.integer(below: corpus.count)] = call
            }
        }
    }

    /// A coarse description of how the oracle treats a call.
    static func behaviour(of call: LossCase, expected: ExactOutcome) -> String {
        var parts = [
            FailureSignature.form(of: call), "\(OperandForm.of(call.variance, input: call.input.shape))",
            call.reduction, call.wantsGradients ? "grad" : "", call.full ? "full" : "",
        ]
        parts.append(
            [call.input.dtype, call.target.dtype, call.variance.tensor?.dtype ?? call.input.dtype]
                .map(\.rawValue).joined(separator: ","))
        switch expected {
        case .rejection(let rejection):
            parts.append("rejected:\(rejection.kind.rawValue)")
        case .success(let loss, let gradients, _):
            let outputs = [loss, gradients?.input, gradients?.target, gradients?.variance].compactMap { $0 }
            for output in outputs {
                let values = output.elements.map(\.value)
                var flags = ""
                if values.contains(where: \.isNaN) { flags += "n" }
                if values.contains(where: \.isInfinite) { flags += "i" }
                if output.elements.contains(where: \.leavesNormalRange) { flags += "r" }
                parts.append(flags)
            }
        }
        return parts.joined(separator: "|")
    }

    /// Records a failing case: a new signature is shrunk and saved; a known one is replaced when smaller.
    private func record(
        _ call: LossCase, answer: CandidateAnswer, expected: ExactOutcome, judgement: CaseJudgement,
        mutations: [Mutation]
    ) {
        let signature =
            FailureSignature.of(answer, expected: expected, call: call, judge: judge)
            ?? FailureSignature(problem: "failed", form: FailureSignature.form(of: call))
        var failure = FuzzFailure(
            signature: signature, call: call, answer: answer, expected: expected, judgement: judgement,
            caseNumber: statistics.cases, mutations: mutations, shrunk: false, occurrences: 1, path: nil)
        if var known = failuresBySignature[signature] {
            known.occurrences += 1
            if failure.size < known.size {
                failure.occurrences = known.occurrences
                failure.shrunk = known.shrunk
                known = failure
                save(&known)
            }
            failuresBySignature[signature] = known
            return
        }
        statistics.distinctFailures += 1
        guard failuresBySignature.count < configuration.maximumFailures else { return }
        shrink(&failure)
        save(&failure)
        failuresBySignature[signature] = failure
        failureOrder.append(signature)
    }

    /// Simplifies a failure while it keeps its signature.
    private func shrink(_ failure: inout FuzzFailure) {
        let shrinker = CaseShrinker(mutator: mutator)
        for _ in 0..<configuration.shrinkRounds {
            let candidates = Array(shrinker.simplifications(of: failure.call).prefix(4 * configuration.batchSize))
            guard !candidates.isEmpty else { return }
            let answers = session.answers(candidates)
            var improved = false
            for (call, answer) in zip(candidates, answers) {
                let expected = Oracle.evaluate(call, profile: configuration.profile)
                guard FailureSignature.of(answer, expected: expected, call: call, judge: judge) == failure.signature
                else { continue }
                failure.call = call
                failure.answer = answer
                failure.expected = expected
                failure.judgement = session.judge(answer, for: call, expected: expected)
                failure.shrunk = true
                improved = true
                break
            }
            if !improved { return }
        }
    }

    private func save(_ failure: inout FuzzFailure) {
        guard let directory = configuration.outputDirectory else { return }
        let reproducer = failure.reproducer(
            profile: configuration.profile, candidate: session.candidate.info, seed: configuration.seed)
        do {
            failure.path = try reproducer.write(toDirectory: directory)
        } catch {
            writeErrors.append("cannot write a reproducer into \(directory): \(error)")
        }
    }
}

/// How far a run has come.
public struct FuzzProgress: Sendable, Equatable {
    /// Cases judged, seeds included.
    public var cases = 0
    /// Cases the candidate (or its declared abilities) left unsupported.
    public var skipped = 0
    /// Cases that failed, and how many distinct signatures they have.
    public var failingCases = 0
    public var distinctFailures = 0
    public var elapsed: Duration = .zero

    public init() {}

    public var casesPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds > 0 ? Double(cases) / seconds : 0
    }
}

/// What a run found.
public struct FuzzSummary: Sendable {
    public var progress: FuzzProgress
    /// One failure per signature, in the order they were found (at most the configured maximum).
    public var failures: [FuzzFailure]
    public var writeErrors: [String]
}

/// One kind of failure: the smallest case seen with its signature.
public struct FuzzFailure: Sendable {
    public var signature: FailureSignature
    public var call: LossCase
    public var answer: CandidateAnswer
    public var expected: ExactOutcome
    public var judgement: CaseJudgement
    /// Which case of the run first showed it.
    public var caseNumber: Int
    public var mutations: [Mutation]
    public var shrunk: Bool
    /// How many failing cases had this signature.
    public var occurrences: Int
    /// The reproducer's path, once written.
    public var path: String?

    /// A measure of size for choosing the smaller of two cases: elements, then axes.
    var size: Int {
        let tensors = [call.input, call.target, call.variance.tensor, call.gradOutput].compactMap { $0 }
        return tensors.reduce(0) { $0 + 8 * $1.elementCount + $1.shape.rank } + (call.full ? 1 : 0)
    }

    /// The failure as a reproducer file.
    public func reproducer(profile: Profile, candidate: CandidateInfo, seed: UInt64) -> Reproducer {
        Reproducer(
            signature: signature, profile: profile, candidate: candidate, seed: seed, caseNumber: caseNumber,
            mutations: mutations, shrunk: shrunk, findings: judgement.findings, answer: OutcomeSummary(answer),
            expected: OutcomeSummary(expected), call: CaseRecord(call))
    }
}
