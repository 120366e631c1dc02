public import GaussianNLL

/// The verdict on one case: whether a candidate's outcome conforms, and by how much.
public struct CaseJudgement: Sendable, Equatable {
    /// Passed, failed, or skipped (the suite did not send the call, or cannot evaluate it).
    public enum Status: String, Sendable, Codable {
        case passed
        case failed
        case skipped
    }

    public var status: Status
    /// Why the case failed or was skipped; empty when it passed.
    public var findings: [String]
    /// The largest |error| / bound per output, for the outputs that were compared.
    public var worstRatios: [OutputKind: Double]
    /// For a rejection of the right kind: whether the message is PyTorch's, to the letter.
    public var messageMatches: Bool?
    /// The loss's dtype, for results that were compared: reports group error ratios by it.
    public var dtype: DType?

    public init(
        status: Status, findings: [String], worstRatios: [OutputKind: Double], messageMatches: Bool?,
        dtype: DType? = nil
    ) {
        self.status = status
        self.findings = findings
        self.worstRatios = worstRatios
        self.messageMatches = messageMatches
        self.dtype = dtype
    }

    /// The largest |error| / bound over all outputs; 0 when none were compared.
    public var worstRatio: Double { worstRatios.values.max() ?? 0 }

    static func failed(_ finding: String) -> CaseJudgement {
        CaseJudgement(status: .failed, findings: [finding], worstRatios: [:], messageMatches: nil)
    }
}

/// Judges candidate outcomes against the oracle under a tolerance model.
public struct Judge: Sendable {
    public var tolerance: ToleranceModel

    public init(tolerance: ToleranceModel = .standard) {
        self.tolerance = tolerance
    }

    /// Judges a candidate's outcome for a call against the oracle's.
    public func judge(_ outcome: LossOutcome, expected: ExactOutcome, call: LossCase) -> CaseJudgement {
        switch (expected, outcome) {
        case (_, .rejection(let rejection)) where rejection.kind == .unsupported:
            return judgeUnsupported(rejection, expected: expected)
        case (.rejection(let wanted), .rejection(let got)):
            return judgeRejection(got, wanted: wanted)
        case (.rejection(let wanted), .success):
            return .failed("accepted a call that PyTorch rejects with \(wanted.exceptionType): \(wanted.message)")
        case (.success, .rejection(let got)):
            return .failed("rejected a call that PyTorch accepts: \(got.kind.rawValue): \(got.message)")
        case (.success(let loss, let gradients, let higherOrder), .success(let result)):
            return judgeResult(result, loss: loss, gradients: gradients, higherOrder: higherOrder, call: call)
        }
    }

    /// An `unsupported` answer: skipped when the suite did not send the call (``Rejection/isNotSent``) or cannot
    /// evaluate it either (the oracle answers `unsupported` too, as beyond its resource limit); failed otherwise,
    /// since the suite sends only calls within the candidate's declared dtypes and features.
    public func judgeUnsupported(_ rejection: Rejection, expected: ExactOutcome) -> CaseJudgement {
        if case .rejection(let wanted) = expected, wanted.kind == .unsupported {
            return CaseJudgement(
                status: .skipped, findings: ["the suite cannot evaluate this call: \(wanted.message)"],
                worstRatios: [:], messageMatches: nil)
        }
        guard rejection.isNotSent else {
            return .failed(
                "answered unsupported (\(rejection.message)) for a call within its declared dtypes and features")
        }
        return CaseJudgement(
            status: .skipped, findings: ["unsupported: \(rejection.message)"], worstRatios: [:], messageMatches: nil)
    }

    /// A rejection conforms when its kind is PyTorch's; the message is compared for information.
    public func judgeRejection(_ got: Rejection, wanted: Rejection) -> CaseJudgement {
        guard got.kind == wanted.kind else {
            return .failed(
                "rejected with kind \(got.kind.rawValue) (\(got.message)), but PyTorch raises "
                    + "\(wanted.kind.rawValue): \(wanted.exceptionType): \(wanted.message)")
        }
        return CaseJudgement(
            status: .passed, findings: [], worstRatios: [:], messageMatches: got.message == wanted.message)
    }

    /// Judges a successful result's outputs element by element: the loss, the gradients, and the hvp and jvp
    /// that `higherOrder` holds.
    public func judgeResult(
        _ result: LossResult, loss: ExactTensor, gradients: ExactGradients?, higherOrder: ExactHigherOrder?,
        call: LossCase
    )
        -> CaseJudgement
    {
        let u = call.largestUnitRoundoff
        var findings = [String]()
        var ratios = [OutputKind: Double]()
        for output in OutputPairing.pairs(of: result, loss: loss, gradients: gradients, higherOrder: higherOrder) {
            switch output {
            case .pair(let kind, nil, _):
                findings.append("\(kind) is missing")
            case .pair(let kind, let tensor?, let exact):
                let verdict = judgeTensor(
                    tensor, exact: exact, kind: kind, unitRoundoff: u,
                    alsoFloat64: kind == .jvp && Self.forwardModeMayWidenToFloat64(call))
                ratios[kind] = verdict.worstRatio
                if let finding = verdict.finding { findings.append(finding) }
            case .extraGradient(let kind):
                findings.append(Self.extraGradientFinding(kind, call: call))
            }
        }
        return CaseJudgement(
            status: findings.isEmpty ? .passed : .failed, findings: findings, worstRatios: ratios, messageMatches: nil,
            dtype: loss.dtype)
    }

    /// Why a gradient, hvp or jvp should not be there.
    static func extraGradientFinding(_ kind: OutputKind, call: LossCase) -> String {
        let operand: Operand
        switch kind {
        case .gradInput, .hvpInput: operand = .input
        case .gradTarget, .hvpTarget: operand = .target
        case .jvp: return "jvp is present, but no jvp was asked for"
        default: operand = .variance
        }
        if [.hvpInput, .hvpTarget, .hvpVar].contains(kind) && call.higherOrder?.hvp != true {
            return "\(kind) is present, but no hvp was asked for"
        }
        return "\(kind) is present, but \(call.whyNoGradient(of: operand) ?? "it was not expected")"
    }

    /// Whether PyTorch's forward mode may give jvp as float64 for the call: when every operand is 0-d (or a Python
    /// float), `torch.func.jvp` does on 2.15.0, 2.9.1 and 2.1.2, and so do dual tensors on 2.9.1 and 2.1.2 (on
    /// 2.15.0 they give the loss's dtype).
    static func forwardModeMayWidenToFloat64(_ call: LossCase) -> Bool {
        call.input.shape.rank == 0 && call.target.shape.rank == 0 && (call.variance.tensor?.shape.rank ?? 0) == 0
    }

    /// Judges one output tensor: dtype (the exact one's, or float64 too where `alsoFloat64`), shape, then every
    /// element, each against the exact value within the tolerance of the exact tensor's dtype.
    public func judgeTensor(
        _ tensor: Tensor, exact: ExactTensor, kind: OutputKind, unitRoundoff: Double, alsoFloat64: Bool = false
    )
        -> TensorJudgement
    {
        guard tensor.dtype == exact.dtype || (alsoFloat64 && tensor.dtype == .float64) else {
            return TensorJudgement(
                worstRatio: .infinity, finding: "\(kind) has dtype \(tensor.dtype), expected \(exact.dtype)")
        }
        guard tensor.shape == exact.shape else {
            return TensorJudgement(
                worstRatio: .infinity, finding: "\(kind) has shape \(tensor.shape), expected \(exact.shape)")
        }
        var worst = 0.0
        var failures = 0
        var first: String?
        for (index, (value, element)) in zip(tensor.values, exact.elements).enumerated() {
            let judgement = tolerance.judge(
                value, exact: element, kind: kind, dtype: exact.dtype, unitRoundoff: unitRoundoff)
            worst = Swift.max(worst, judgement.ratio)
            guard !judgement.passes else { continue }
            failures += 1
            if first == nil {
                let bound = tolerance.bound(for: element, kind: kind, dtype: exact.dtype, unitRoundoff: unitRoundoff)
                let reason: String
                switch judgement {
                case .mismatch(let text): reason = text
                default:
                    reason = "error \(Double(abs(ExactReal(value) - element.value))) exceeds the bound \(Double(bound))"
                }
                first = "\(kind)[\(index)] = \(value), exact \(Double(element.value)): \(reason)"
            }
        }
        guard let first else { return TensorJudgement(worstRatio: worst, finding: nil) }
        let more = failures > 1 ? " (and \(failures - 1) more element\(failures == 2 ? "" : "s"))" : ""
        return TensorJudgement(worstRatio: worst, finding: first + more)
    }
}

/// The verdict on one output tensor.
public struct TensorJudgement: Sendable, Equatable {
    /// The largest |error| / bound over its elements (infinity for a class mismatch).
    public var worstRatio: Double
    /// The first failing element, described; `nil` when every element conforms.
    public var finding: String?
}

/// A result's outputs beside the oracle's: each expected output with what the result holds for it (`nil` when
/// missing), in the order loss, grad_input, grad_target, grad_var, hvp_input, hvp_target, hvp_var, jvp, each output
/// it should not have in its place.
public enum OutputPairing {
    case pair(OutputKind, Tensor?, ExactTensor)
    /// A gradient (or hvp, jvp) the call did not ask for: of an operand that does not require grad (or cannot: a
    /// scalar var, an integral operand), any gradient of a call without grad_output, or an hvp or jvp of a call
    /// that did not ask for it.
    case extraGradient(OutputKind)

    /// Pairs `result`'s outputs with the exact `loss`, `gradients` and `higherOrder` outputs.
    public static func pairs(
        of result: LossResult, loss: ExactTensor, gradients: ExactGradients?, higherOrder: ExactHigherOrder?
    ) -> [OutputPairing] {
        var pairs: [OutputPairing] = [.pair(.loss, result.loss, loss)]
        let expected: [(OutputKind, ExactTensor?, Tensor?)] = [
            (.gradInput, gradients?.input, result.gradients?.input),
            (.gradTarget, gradients?.target, result.gradients?.target),
            (.gradVar, gradients?.variance, result.gradients?.variance),
            (.hvpInput, higherOrder?.hvp?.input, result.hvp?.input),
            (.hvpTarget, higherOrder?.hvp?.target, result.hvp?.target),
            (.hvpVar, higherOrder?.hvp?.variance, result.hvp?.variance),
            (.jvp, higherOrder?.jvp, result.jvp),
        ]
        for (kind, exact, got) in expected {
            if let exact {
                pairs.append(.pair(kind, got, exact))
            } else if got != nil {
                pairs.append(.extraGradient(kind))
            }
        }
        return pairs
    }
}
