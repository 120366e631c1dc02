public import Conformance
public import GaussianNLL
public import GoldenFiles
public import Judge

/// Replays one category of a golden file: the candidate must reject what PyTorch rejected, with the
/// same kind, and return what PyTorch returned, within the tolerance of the oracle's exact values.
public struct GoldenReplayCheck: ConformanceCheck {
    public let id: String
    public let category = "golden"
    public let title: String
    public let cases: [GoldenCase]

    public init(category: String, cases: [GoldenCase], source: String) {
        id = "golden.\(category)"
        title = "PyTorch's recorded outcomes for '\(category)' in \(source) are reproduced"
        self.cases = cases
    }

    /// One check per category of a golden file, in name order.
    public static func checks(for file: GoldenFile) -> [GoldenReplayCheck] {
        let source = file.path.split(separator: "/").last.map(String.init) ?? file.path
        let grouped = Dictionary(grouping: file.cases, by: \.category)
        return grouped.keys.sorted().map { GoldenReplayCheck(category: $0, cases: grouped[$0]!, source: source) }
    }

    /// A golden check replays the stripe's cases of the category (case i of the category, in file order, is in
    /// stripe i mod N).
    public var runsInStripes: Bool { true }

    public func run(in context: CheckContext) -> CheckResult {
        var result = CheckResult(id: id, category: category, title: title)
        result.stripe = context.stripe.map { StripeRecord(stripe: $0) }
        var bitExact = 0
        var compared = 0
        let command = context.reproduction(id)
        // The stripe's cases: K − 1, K − 1 + N, … (every case without a stripe).
        let (first, step) = context.stripe.map { ($0.index - 1, $0.count) } ?? (0, 1)
        let mine = context.stripe == nil ? cases : stride(from: first, to: cases.count, by: step).map { cases[$0] }
        for (offset, replay) in Self.replay(mine, in: context.session).enumerated() {
            let index = first + offset * step
            if let disagreement = replay.disagreement {
                var failed = CheckResult.error(
                    id: id, category: category, title: title,
                    message: "case \(replay.golden.name): the oracle disagrees with PyTorch: \(disagreement)")
                // The replay stops here: the cases of the category before this one were judged.
                failed.cases = index
                failed.stripe = result.stripe
                failed.stripe?.errorIndex = index
                return failed
            }
            bitExact += replay.bitExactOutputs
            compared += replay.comparedOutputs
            result.record(replay.judgement, call: replay.golden.call, caseIndex: index, reproduction: command)
        }
        result.bitExactOutputs = bitExact
        result.comparedOutputs = compared
        result.finish()
        return result
    }

    /// One golden case replayed against a candidate.
    public struct Replay: Sendable {
        public var golden: GoldenCase
        public var answer: CandidateAnswer
        public var judgement: CaseJudgement
        /// Set when the oracle does not agree with what PyTorch recorded: the suite, not the candidate, is wrong.
        public var disagreement: String?
        public var bitExactOutputs = 0
        public var comparedOutputs = 0

        /// What is wrong with the answer, or with the suite's expectation, one finding a line; empty when the
        /// case conforms to the letter (messages included).
        public var problems: [String] {
            var problems = judgement.findings
            if let disagreement { problems.append("oracle disagrees with PyTorch: \(disagreement)") }
            if judgement.messageMatches == false, case .outcome(.rejection(let got)) = answer {
                problems.append("case \(golden.name): message \"\(got.message)\" is not PyTorch's")
            }
            if problems.isEmpty && judgement.status != .passed {
                problems.append("case \(golden.name): \(judgement.status)")
            }
            return problems
        }
    }

    /// Replays golden cases: each answer is judged against PyTorch's recorded outcome (rejections) or
    /// the oracle (results), and compared bitwise with PyTorch's outputs for information.
    public static func replay(_ cases: [GoldenCase], in session: CandidateSession) -> [Replay] {
        // What to expect does not depend on the answers: it is worked out while the candidate answers.
        let (answers, expectations) = session.answers(cases.map(\.call)) {
            cases.map { expectation(for: $0, in: session) }
        }
        return zip(cases, zip(answers, expectations)).map { golden, pair in
            let (answer, expectation) = pair
            var replay = Replay(
                golden: golden, answer: answer,
                judgement: CaseJudgement(status: .passed, findings: [], worstRatios: [:], messageMatches: nil))
            let expected: ExactOutcome
            switch expectation {
            case .disagreement(let disagreement):
                replay.disagreement = disagreement
                return replay
            case .expected(let outcome):
                expected = outcome
            }
            if case .success(let recorded) = golden.expected, case .outcome(.success(let got)) = answer {
                (replay.bitExactOutputs, replay.comparedOutputs) = bitExactCount(got, recorded)
            }
            replay.judgement = session.judge(answer, for: golden.call, expected: expected)
            replay.judgement.findings = replay.judgement.findings.map { "case \(golden.name): \($0)" }
            return replay
        }
    }

    /// What a golden case's answer is judged against, or why the suite cannot judge it.
    enum Expectation {
        /// PyTorch's recorded rejection where the oracle rejects the call with its kind, or the oracle's exact
        /// values where PyTorch's recorded values pass.
        case expected(ExactOutcome)
        /// The oracle does not agree with what PyTorch recorded (acceptance, rejection kind, shapes, dtypes or
        /// values).
        case disagreement(String)
    }

    static func expectation(for golden: GoldenCase, in session: CandidateSession) -> Expectation {
        let exact = Oracle.evaluate(golden.call, profile: session.profile)
        switch golden.expected {
        case .rejection(let rejection):
            if let disagreement = rejectionDisagreement(exact, recorded: rejection) {
                return .disagreement(disagreement)
            }
            return .expected(.rejection(rejection))
        case .success(let recorded):
            if let disagreement = disagreement(exact, recorded: recorded, call: golden.call, judge: session.judge) {
                return .disagreement(disagreement)
            }
            return .expected(exact)
        }
    }

    /// Where the oracle's view of a call differs from what PyTorch recorded: acceptance, shape or dtype.
    static func disagreement(_ exact: ExactOutcome, recorded: LossResult, call: LossCase, judge: Judge) -> String? {
        if let structural = structuralDisagreement(exact, recorded: recorded) { return structural }
        guard case .success(let loss, let gradients, let higherOrder) = exact else { return nil }
        // PyTorch's own values must conform, or the oracle or the tolerance model is wrong.
        let own = judge.judgeResult(recorded, loss: loss, gradients: gradients, higherOrder: higherOrder, call: call)
        if own.status != .passed {
            return "PyTorch's recorded values do not pass: \(own.findings.joined(separator: "; "))"
        }
        return nil
    }

    /// Where the oracle does not reject a call with the kind PyTorch's recorded rejection has: a golden file whose
    /// kind contradicts the call (or its own message) is the suite's error, never the candidate's.
    static func rejectionDisagreement(_ exact: ExactOutcome, recorded: Rejection) -> String? {
        switch exact {
        case .success:
            return "PyTorch's recorded rejection (\(recorded)) is of a call the oracle accepts"
        case .rejection(let rejection) where rejection.kind != recorded.kind:
            return "PyTorch's recorded rejection is \(recorded), but the oracle rejects the call with \(rejection)"
        case .rejection:
            return nil
        }
    }

    /// Where the oracle's acceptance, shapes or dtypes differ from what PyTorch recorded.
    static func structuralDisagreement(_ exact: ExactOutcome, recorded: LossResult) -> String? {
        switch exact {
        case .rejection(let rejection):
            return "the oracle rejects (\(rejection)) a call PyTorch accepts"
        case .success(let loss, let gradients, let higherOrder):
            if loss.shape != recorded.loss.shape || loss.dtype != recorded.loss.dtype {
                return "loss \(loss.dtype)\(loss.shape) vs PyTorch's \(recorded.loss.dtype)\(recorded.loss.shape)"
            }
            if (gradients == nil) != (recorded.gradients == nil) {
                return gradients == nil
                    ? "PyTorch recorded gradients the oracle does not give"
                    : "the oracle gives gradients PyTorch did not record"
            }
            // The gradients (and hvp) present are exactly those of the operands that require grad, and jvp is there
            // when asked for, in the file and in the oracle.
            let pairs: [(String, ExactTensor?, Tensor?)] = [
                ("grad_input", gradients?.input, recorded.gradients?.input),
                ("grad_target", gradients?.target, recorded.gradients?.target),
                ("grad_var", gradients?.variance, recorded.gradients?.variance),
                ("hvp_input", higherOrder?.hvp?.input, recorded.hvp?.input),
                ("hvp_target", higherOrder?.hvp?.target, recorded.hvp?.target),
                ("hvp_var", higherOrder?.hvp?.variance, recorded.hvp?.variance),
                ("jvp", higherOrder?.jvp, recorded.jvp),
            ]
            for (name, exactTensor, tensor) in pairs {
                switch (exactTensor, tensor) {
                case (nil, nil): continue
                case (nil, _?): return "PyTorch recorded \(name), which the oracle does not give"
                case (_?, nil): return "the oracle gives \(name), which PyTorch did not record"
                case (let exactTensor?, let tensor?):
                    guard exactTensor.shape == tensor.shape, exactTensor.dtype == tensor.dtype else {
                        return
                            "\(name) \(exactTensor.dtype)\(exactTensor.shape) vs PyTorch's \(tensor.dtype)\(tensor.shape)"
                    }
                }
            }
            return nil
        }
    }

    /// How many outputs are bitwise identical to PyTorch's, out of how many.
    static func bitExactCount(_ got: LossResult, _ recorded: LossResult) -> (Int, Int) {
        var pairs: [(Tensor, Tensor?)] = [(recorded.loss, got.loss)]
        for (recordedTensors, gotTensors) in [(recorded.gradients, got.gradients), (recorded.hvp, got.hvp)] {
            if let input = recordedTensors?.input { pairs.append((input, gotTensors?.input)) }
            if let target = recordedTensors?.target { pairs.append((target, gotTensors?.target)) }
            if let variance = recordedTensors?.variance { pairs.append((variance, gotTensors?.variance)) }
        }
        if let jvp = recorded.jvp { pairs.append((jvp, got.jvp)) }
        let same = pairs.filter { recordedTensor, tensor in tensor?.isBitwiseIdentical(to: recordedTensor) == true }
        return (same.count, pairs.count)
    }
}
