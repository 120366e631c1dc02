public import GaussianNLL
public import Judge

/// What makes two failures the same bug, for deduplication: what went wrong with which output, and the
/// coarse shape of the case (whether var is a full tensor, a broadcast one or a Python float; whether the
/// loss is reduced; whether it is empty).
///
/// Two cases with one signature are taken to show one bug: the fuzzer keeps one reproducer per signature
/// (the smallest it saw), under a file name derived from the signature alone. The signature is coarse on
/// purpose, so that one bug fills a handful of files, not hundreds.
public struct FailureSignature: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong with the first wrong output (loss, then grad_input, grad_target, grad_var), such as
    /// `value:grad_var` (beyond the bound), `class:loss` (NaN, infinity or finite where the exact value is of
    /// another class), `dtype:loss`, `shape:grad_input`, `missing:grad_var`; or `accepted:var_size`,
    /// `rejected:broadcast`, `kind:negative_var->var_size`, `fault:crashed`.
    public var problem: String
    /// The coarse shape of the case, such as `var=broadcast reduction=reduced empty`.
    public var form: String

    public init(problem: String, form: String) {
        self.problem = problem
        self.form = form
    }

    public var description: String { "\(problem) [\(form)]" }

    /// A stable file name: the signature made safe, and its FNV-1a hash.
    public var fileName: String {
        let text = "\(problem)--\(form)".map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
        let hash = FNV1a.hash(description)
        let digest = String(hash >> 32, radix: 16)
        return String(String(text).prefix(80)) + "-" + String(repeating: "0", count: 8 - digest.count) + digest
            + ".json"
    }

    /// The signature of a failing answer; `nil` when the answer conforms or was skipped.
    public static func of(
        _ answer: CandidateAnswer, expected: ExactOutcome, call: LossCase, judge: Judge
    ) -> FailureSignature? {
        guard let problem = problem(answer, expected: expected, call: call, judge: judge) else { return nil }
        return FailureSignature(problem: problem, form: form(of: call))
    }

    /// The coarse shape of a call.
    public static func form(of call: LossCase) -> String {
        let variance: String
        switch OperandForm.of(call.variance, input: call.input.shape) {
        case .same: variance = "tensor"
        case .scalar: variance = "scalar"
        default: variance = "broadcast"
        }
        let reduction: String
        switch Reduction(rawValue: call.reduction) {
        case .none?: reduction = "none"
        case .mean?, .sum?: reduction = "reduced"
        case nil: reduction = "invalid"
        }
        var parts = ["var=\(variance)", "reduction=\(reduction)"]
        if call.input.elementCount == 0 || call.target.elementCount == 0 || call.variance.tensor?.elementCount == 0 {
            parts.append("empty")
        }
        return parts.joined(separator: " ")
    }

    private static func problem(
        _ answer: CandidateAnswer, expected: ExactOutcome, call: LossCase, judge: Judge
    ) -> String? {
        let outcome: LossOutcome
        switch answer {
        case .fault(let fault): return "fault:\(fault.kind.rawValue)"
        case .outcome(let value): outcome = value
        }
        switch (expected, outcome) {
        case (_, .rejection(let got)) where got.kind == .unsupported:
            return judge.judgeUnsupported(got, expected: expected).status == .failed ? "unsupported" : nil
        case (.rejection(let wanted), .rejection(let got)):
            return got.kind == wanted.kind ? nil : "kind:\(wanted.kind.rawValue)->\(got.kind.rawValue)"
        case (.rejection(let wanted), .success):
            return "accepted:\(wanted.kind.rawValue)"
        case (.success, .rejection(let got)):
            return "rejected:\(got.kind.rawValue)"
        case (.success(let loss, let gradients, let higherOrder), .success(let result)):
            let u = call.largestUnitRoundoff
            // The first problem, in output order.
            for output in OutputPairing.pairs(of: result, loss: loss, gradients: gradients, higherOrder: higherOrder) {
                switch output {
                case .pair(let kind, nil, _):
                    return "missing:\(kind)"
                case .pair(let kind, let tensor?, let exact):
                    if tensor.dtype != exact.dtype { return "dtype:\(kind)" }
                    if tensor.shape != exact.shape { return "shape:\(kind)" }
                    let verdict = judge.judgeTensor(tensor, exact: exact, kind: kind, unitRoundoff: u)
                    if verdict.finding != nil { return verdict.worstRatio.isFinite ? "value:\(kind)" : "class:\(kind)" }
                case .extraGradient(let kind):
                    return "extra:\(kind)"
                }
            }
            return nil
        }
    }
}
