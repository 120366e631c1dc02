internal import Conformance
internal import GaussianNLL
internal import Judge

/// The answers to one trial's calls, the oracle's view of each call, and the findings so far.
///
/// Properties compare the candidate with the oracle (``judge(_:)``) and with itself across calls
/// (``expectAgreement(_:value:in:at:derived:terms:)`` and its tensor forms). A comparison between calls
/// never demands exact equality of floating results: each side may be off by its tolerance bound, so the
/// allowance is the sum of the bounds the judge would grant each side, plus any difference of the exact
/// values themselves.
struct TrialCheck {
    let context: CheckContext
    let calls: [LossCase]
    let answers: [CandidateAnswer]
    /// The oracle's outcome for each call under the context's profile.
    let expected: [ExactOutcome]
    /// The unit roundoff that bounds each call's errors.
    let unitRoundoffs: [Double]
    private(set) var findings: [String] = []
    private(set) var worstRatios: [OutputKind: Double] = [:]
    private var messageMatches: Bool?

    /// `expected` holds the oracle's outcome for each call under the context's profile.
    init(context: CheckContext, calls: [LossCase], answers: [CandidateAnswer], expected: [ExactOutcome]) {
        self.context = context
        self.calls = calls
        self.answers = answers
        self.expected = expected
        unitRoundoffs = calls.map(\.largestUnitRoundoff)
    }

    /// Why the trial is skipped: a call the suite did not send or cannot evaluate (``Judge/judgeUnsupported(_:expected:)``).
    var unsupported: String? {
        for (answer, expected) in zip(answers, expected) {
            if case .outcome(.rejection(let rejection)) = answer, rejection.kind == .unsupported {
                let judgement = context.judge.judgeUnsupported(rejection, expected: expected)
                if judgement.status == .skipped { return judgement.findings.first }
            }
        }
        return nil
    }

    /// Records `unsupported` answers for calls the suite sent as findings; returns whether there were any.
    mutating func reportUnsupported() -> Bool {
        for (index, (answer, expected)) in zip(answers, expected).enumerated() {
            if case .outcome(.rejection(let rejection)) = answer, rejection.kind == .unsupported {
                let judgement = context.judge.judgeUnsupported(rejection, expected: expected)
                if judgement.status == .failed { judgement.findings.forEach { fail("call \(index + 1): \($0)") } }
            }
        }
        return !findings.isEmpty
    }

    /// Records candidate faults as findings; returns whether there were any.
    mutating func reportFaults() -> Bool {
        for (index, answer) in answers.enumerated() {
            if case .fault(let fault) = answer { fail("call \(index + 1): candidate fault: \(fault)") }
        }
        return !findings.isEmpty
    }

    var judgement: CaseJudgement {
        CaseJudgement(
            status: findings.isEmpty ? .passed : .failed, findings: findings, worstRatios: worstRatios,
            messageMatches: messageMatches)
    }

    mutating func fail(_ finding: String) {
        findings.append(finding)
    }

    /// Judges one call's answer against the oracle; returns whether it conforms.
    @discardableResult
    mutating func judge(_ index: Int) -> Bool {
        let judgement = context.judge(answers[index], for: calls[index], expected: expected[index])
        for (kind, ratio) in judgement.worstRatios where ratio.isFinite {
            worstRatios[kind] = Swift.max(worstRatios[kind] ?? 0, ratio)
        }
        if let matches = judgement.messageMatches { messageMatches = (messageMatches ?? true) && matches }
        guard judgement.status == .failed else { return true }
        let prefix = calls.count > 1 ? "call \(index + 1): " : ""
        for finding in judgement.findings { fail(prefix + finding) }
        return false
    }

    /// Judges every call against the oracle.
    mutating func judgeAll() {
        for index in calls.indices { judge(index) }
    }

    /// The candidate's result for a call, when it returned one.
    func result(_ index: Int) -> LossResult? {
        if case .outcome(.success(let result)) = answers[index] { return result }
        return nil
    }

    /// The candidate's rejection of a call, when it rejected it.
    func rejection(_ index: Int) -> Rejection? {
        if case .outcome(.rejection(let rejection)) = answers[index] { return rejection }
        return nil
    }

    /// The oracle's loss, gradients, hvp and jvp for a call it accepts.
    func exact(_ index: Int) -> (loss: ExactTensor, gradients: ExactGradients?, higherOrder: ExactHigherOrder?)? {
        if case .success(let loss, let gradients, let higherOrder) = expected[index] {
            return (loss, gradients, higherOrder)
        }
        return nil
    }

    /// The tolerance bound the judge grants one element of a call's output.
    func bound(_ element: ExactElement, of tensor: ExactTensor, kind: OutputKind, call index: Int) -> ExactReal {
        let bound = context.judge.tolerance.bound(
            for: element, kind: kind, dtype: tensor.dtype, unitRoundoff: unitRoundoffs[index])
        return bound.isFinite ? bound : .infinity
    }

    /// One output of a call, as the candidate answered it and as the oracle knows it.
    struct Output {
        var tensor: Tensor
        var exact: ExactTensor
        var kind: OutputKind
        var call: Int
    }

    /// The loss, a gradient, an hvp or the jvp of a call, when both the candidate and the oracle have it.
    func output(_ kind: OutputKind, of index: Int) -> Output? {
        guard let result = result(index), let exact = exact(index) else { return nil }
        switch kind {
        case .loss:
            return Output(tensor: result.loss, exact: exact.loss, kind: kind, call: index)
        case .gradInput:
            guard let tensor = result.gradients?.input, let exactTensor = exact.gradients?.input else { return nil }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        case .gradTarget:
            guard let tensor = result.gradients?.target, let exactTensor = exact.gradients?.target else { return nil }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        case .gradVar:
            guard let tensor = result.gradients?.variance, let exactTensor = exact.gradients?.variance else {
                return nil
            }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        case .hvpInput:
            guard let tensor = result.hvp?.input, let exactTensor = exact.higherOrder?.hvp?.input else { return nil }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        case .hvpTarget:
            guard let tensor = result.hvp?.target, let exactTensor = exact.higherOrder?.hvp?.target else { return nil }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        case .hvpVar:
            guard let tensor = result.hvp?.variance, let exactTensor = exact.higherOrder?.hvp?.variance else {
                return nil
            }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        case .jvp:
            guard let tensor = result.jvp, let exactTensor = exact.higherOrder?.jvp else { return nil }
            return Output(tensor: tensor, exact: exactTensor, kind: kind, call: index)
        }
    }

    /// A term of a relation: one element of another output, times a factor.
    struct Term {
        var output: Output
        var position: Int
        var factor: Double = 1
    }

    /// Checks that element `position` of `output` equals `derived + Σ factor·term`, where `derived` is exact
    /// (a constant of the relation) and the terms are other answers of the candidate.
    ///
    /// The allowance is the judge's bound for this element, plus |factor|·bound for each term, plus `extra`,
    /// plus (unless `includeOracleMiss` is false) the amount by which the oracle's own values miss the relation:
    /// zero for an exact relation, up to the oracle's rounding otherwise. Elements whose terms may overflow
    /// are not compared.
    mutating func expectAgreement(
        _ label: String, value output: Output, at position: Int, derived constant: Double = 0, terms: [Term],
        slack extra: ExactReal = 0, includeOracleMiss: Bool = true
    ) {
        guard position < output.tensor.values.count, position < output.exact.elements.count else { return }
        let element = output.exact.elements[position]
        var derived = ExactReal(constant)
        var exactRelation = ExactReal(constant)
        var slack = extra
        for term in terms {
            guard term.position < term.output.tensor.values.count,
                term.position < term.output.exact.elements.count
            else { return }
            let termElement = term.output.exact.elements[term.position]
            let termValue = term.output.tensor.values[term.position]
            // A term that may overflow, or that rounds a finite exact value to an infinity (the judge allows
            // both), says nothing about this element.
            if termElement.overflows || (!termValue.isFinite && termElement.value.isFinite) { return }
            let factor = ExactReal(term.factor)
            derived += factor * ExactReal(termValue)
            exactRelation += factor * termElement.value
            slack +=
                abs(factor) * bound(termElement, of: term.output.exact, kind: term.output.kind, call: term.output.call)
        }
        let miss = element.value - exactRelation
        if includeOracleMiss && miss.isFinite { slack += abs(miss) }
        let shifted = ExactElement(
            value: derived, errorScale: element.errorScale, magnitude: element.magnitude,
            summands: element.summands, rangeSlack: element.rangeSlack + slack, overflows: element.overflows)
        let value = output.tensor.values[position]
        let verdict = context.judge.tolerance.judge(
            value, exact: shifted, kind: output.kind, dtype: output.exact.dtype,
            unitRoundoff: unitRoundoffs[output.call])
        guard !verdict.passes else { return }
        let allowance = context.judge.tolerance.bound(
            for: shifted, kind: output.kind, dtype: output.exact.dtype,
            unitRoundoff: unitRoundoffs[output.call])
        fail(
            "\(label): \(output.kind)[\(position)] = \(value), but the relation gives \(Double(derived)) "
                + "(allowed difference \(Double(allowance)))")
    }

    /// Checks element by element that `a = factor·b + constant`, for outputs of the same shape.
    mutating func expectSame(_ label: String, _ a: Output?, _ b: Output?, factor: Double = 1, constant: Double = 0) {
        guard let a, let b else { return }
        guard a.tensor.shape == b.tensor.shape else {
            fail(
                "\(label): \(a.kind) has shape \(a.tensor.shape) in call \(a.call + 1) "
                    + "but \(b.tensor.shape) in call \(b.call + 1)")
            return
        }
        let before = findings.count
        for position in a.tensor.values.indices {
            expectAgreement(
                label, value: a, at: position, derived: constant,
                terms: [Term(output: b, position: position, factor: factor)])
            if findings.count > before { return }
        }
    }

    /// Checks that each element of `a` equals `factor` times the sum of the elements of `b` that map to it.
    mutating func expectSums(_ label: String, _ a: Output?, _ b: Output?, groups: [[Int]], factor: Double = 1) {
        guard let a, let b else { return }
        guard groups.count == a.tensor.values.count else {
            fail("\(label): \(a.kind) has \(a.tensor.values.count) elements, expected \(groups.count)")
            return
        }
        let before = findings.count
        for (position, members) in groups.enumerated() {
            expectAgreement(
                label, value: a, at: position,
                terms: members.map { Term(output: b, position: $0, factor: factor) })
            if findings.count > before { return }
        }
    }
}
