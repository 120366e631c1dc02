internal import Conformance
internal import GaussianNLL
internal import Judge

/// One generated case of a property: the calls to send, and how to judge the candidate's answers.
struct Trial {
    var calls: [LossCase]
    /// Judges the answers; calls ``TrialCheck/fail(_:)`` for every violation.
    var verify: (inout TrialCheck) -> Void

    init(calls: [LossCase], verify: @escaping (inout TrialCheck) -> Void = { $0.judgeAll() }) {
        self.calls = calls
        self.verify = verify
    }
}

/// A randomized property of conforming implementations, run as a conformance check.
///
/// Each case is drawn from its own seed (the run's seed, the check id and the case index), so
/// `gnll verify --seed S --check ID` draws exactly the cases a full run drew. Cases stored in the regression
/// database for this check run first. The first failing case is shrunk, by re-running the property on the
/// candidate, and reported with the seed, the shrunk case in full and a command that reruns the check.
struct Property: ConformanceCheck {
    let id: String
    let category: String
    let title: String
    /// Where failures are stored and replayed from.
    var database: RegressionDatabase?
    /// How many cases to draw for a budget of `casesPerProperty` (large cases draw fewer).
    var caseCount: @Sendable (Int) -> Int = { $0 }
    /// Why the property cannot run for this candidate, or `nil`.
    var requirement: @Sendable (GenerationEnvironment) -> String? = { _ in nil }
    /// The most candidate sequences the shrinker tries for a failure (0: report the case as drawn).
    var maximumShrinkAttempts = PropertySuite.defaultShrinkAttempts
    /// Draws one case.
    let generate: @Sendable (inout ChoiceSource, GenerationEnvironment) -> Trial

    /// How many trials go to the candidate in one batch.
    static let batchSize = 50

    /// A property judges the stripe's cases: case i (the stored cases first, then the drawn ones) is in stripe
    /// i mod N, and each stripe stops after the block of ``batchSize`` cases that holds its first failure, as an
    /// unsharded run does (``StripeRecord/blockSize``).
    var runsInStripes: Bool { true }

    func run(in context: CheckContext) -> CheckResult {
        var result = CheckResult(id: id, category: category, title: title)
        result.stripe = context.stripe.map { StripeRecord(stripe: $0, blockSize: Self.batchSize) }
        let environment = GenerationEnvironment(profile: context.profile, candidate: context.candidate.info)
        if let reason = requirement(environment) {
            result.finish(notRunReason: reason)
            return result
        }
        if environment.dtypes.isEmpty {
            result.finish(notRunReason: "none of the candidate's dtypes suits this property")
            return result
        }
        let command = context.reproduction(id)
        let stored = database?.entries(for: id) ?? []
        let fresh = Swift.max(caseCount(context.casesPerProperty), 1)
        var origins: [Origin] = stored.indices.map { .stored($0) }
        origins += (0..<fresh).map { .fresh($0) }

        // Blocks of batchSize cases, each sent as one batch; a run stops after the block of its first failure. With a
        // stripe, a block's batch holds the stripe's cases of the block.
        var start = 0
        while start < origins.count {
            let block = start..<Swift.min(start + Self.batchSize, origins.count)
            start = block.upperBound
            // The stripe's cases of the block: every step-th index from the first in the stripe.
            let step = context.stripe?.count ?? 1
            let first =
                block.lowerBound + (context.stripe.map { ($0.index - 1 - block.lowerBound % step + step) % step } ?? 0)
            let batch =
                context.stripe == nil
                ? Array(origins[block]) : stride(from: first, to: block.upperBound, by: step).map { origins[$0] }
            if batch.isEmpty { continue }
            let drawn = batch.map { origin -> (ChoiceSource, Trial) in
                var source: ChoiceSource
                switch origin {
                case .stored(let position): source = ChoiceSource(replaying: stored[position].choices)
                case .fresh(let index):
                    source = ChoiceSource(
                        seed: SplitMix64.caseSeed(runSeed: context.seed, checkID: id, caseIndex: index))
                }
                let trial = generate(&source, environment)
                return (source, trial)
            }
            let judgements = Self.judge(drawn.map(\.1), in: context)
            var firstFailure: Int?
            for (position, judgement) in judgements.enumerated() {
                result.record(
                    judgement, call: drawn[position].1.calls[0], caseIndex: first + position * step,
                    reproduction: command)
                if judgement.status == .failed && firstFailure == nil { firstFailure = position }
            }
            if let position = firstFailure {
                report(
                    origin: batch[position], choices: drawn[position].0.choices, judgement: judgements[position],
                    environment: environment, context: context, into: &result)
                break
            }
        }
        // A check that judged no case names why its first case was skipped ("needs protocol 2 (…)", …).
        result.finish()
        return result
    }

    enum Origin {
        case stored(Int)
        case fresh(Int)
    }

    /// Sends every call of the trials in one batch and judges each trial.
    static func judge(_ trials: [Trial], in context: CheckContext) -> [CaseJudgement] {
        let calls = trials.flatMap(\.calls)
        // The oracle's expectations do not depend on the answers: they are worked out while the candidate answers.
        let (answers, expected) = context.answers(calls) {
            calls.map { Oracle.evaluate($0, profile: context.profile) }
        }
        var offset = 0
        return trials.map { trial in
            let range = offset..<offset + trial.calls.count
            offset += trial.calls.count
            var check = TrialCheck(
                context: context, calls: trial.calls, answers: Array(answers[range]), expected: Array(expected[range]))
            if let skipped = check.unsupported {
                return CaseJudgement(status: .skipped, findings: [skipped], worstRatios: [:], messageMatches: nil)
            }
            if check.reportFaults() || check.reportUnsupported() { return check.judgement }
            trial.verify(&check)
            return check.judgement
        }
    }

    /// Shrinks the failing case, stores it, and writes the failure report.
    private func report(
        origin: Origin, choices: [UInt64], judgement: CaseJudgement, environment: GenerationEnvironment,
        context: CheckContext, into result: inout CheckResult
    ) {
        // A candidate that crashed, hung or broke the protocol is not asked again and again.
        let faulted = judgement.findings.contains { $0.contains("candidate fault:") }
        var shrinker = Shrinker(maximumAttempts: faulted ? 0 : maximumShrinkAttempts) { candidates in
            let drawn = candidates.map { candidate -> (ChoiceSource, Trial) in
                var source = ChoiceSource(replaying: candidate)
                let trial = generate(&source, environment)
                return (source, trial)
            }
            let judgements = Self.judge(drawn.map(\.1), in: context)
            return zip(drawn, judgements).map { pair, judgement in
                judgement.status == .failed ? pair.0.choices : nil
            }
        }
        let shrunk = shrinker.shrink(choices)
        var source = ChoiceSource(replaying: shrunk)
        let trial = generate(&source, environment)
        var final = Self.judge([trial], in: context)[0]
        var finalChoices = shrunk
        var finalTrial = trial
        if final.status != .failed {
            // Cannot happen for a deterministic candidate; fall back to the case as drawn.
            var original = ChoiceSource(replaying: choices)
            finalTrial = generate(&original, environment)
            final = judgement
            finalChoices = choices
        }

        let originText: String
        switch origin {
        case .stored: originText = "a case stored in the regression database"
        case .fresh(let index): originText = "case \(index) of seed \(context.seed)"
        }
        var lines = [final.findings.joined(separator: "; ")]
        lines.append(
            shrinker.maximumAttempts > 0
                ? "Falsified by \(originText); shrunk in \(shrinker.improvements) steps (\(shrinker.attempts) "
                    + "attempts) to \(finalChoices.count) choices."
                : "Falsified by \(originText) (not shrunk).")
        lines.append(CaseDescription.python(finalTrial.calls, profile: context.profile))
        if let database {
            let entry = RegressionEntry(
                choices: finalChoices, seed: context.seed, profile: context.profile.rawValue,
                candidate: context.candidate.info.name, finding: final.findings.first ?? "")
            do {
                try database.record(entry, for: id)
                lines.append("Stored in the regression database \(database.path); later runs replay it first.")
            } catch {
                lines.append("Could not store the case in the regression database \(database.path): \(error)")
            }
        }
        let call = finalTrial.calls[0]
        result.failure = CheckFailure(
            message: lines.joined(separator: "\n"), call: CaseRecord(call),
            caseSize: call.input.elementCount + call.target.elementCount + (call.variance.tensor?.elementCount ?? 1),
            reproduction: context.reproduction(id))
    }
}
