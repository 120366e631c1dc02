import GaussianNLL
import Judge
import Testing

@Suite("Tolerance model")
struct ToleranceModelTests {
    let model = ToleranceModel.standard

    func element(
        _ value: ExactReal, scale: ExactReal = 1, magnitude: ExactReal? = nil, summands: Int = 1, slack: ExactReal = 0,
        overflows: Bool = false
    ) -> ExactElement {
        ExactElement(
            value: value, errorScale: scale, magnitude: magnitude ?? abs(value), summands: summands, rangeSlack: slack,
            overflows: overflows)
    }

    @Test("The bound is k·u·S + κ·⌈log2 m⌉·u_acc·A + R + m·η, computed by hand")
    func boundFormula() {
        let u = DType.float32.unitRoundoff
        // Element-wise loss: k = 12, S = 2 → 24u + η.
        let single = model.bound(for: element(1, scale: 2), kind: .loss, dtype: .float32, unitRoundoff: u)
        #expect(single == ExactReal(24 * u) + ExactReal(DType.float32.leastNonzeroMagnitude))
        // A sum of 5 summands: ⌈log2 5⌉ = 3, so 2·3·u·A with A = 10 is added.
        let sum = model.bound(
            for: element(1, scale: 2, magnitude: 10, summands: 5), kind: .loss, dtype: .float32, unitRoundoff: u)
        #expect(sum == ExactReal(24 * u) + ExactReal(60 * u) + 5 * ExactReal(DType.float32.leastNonzeroMagnitude))
    }

    @Test("NaN matches only NaN; an infinity only itself")
    func nonFinite() {
        let u = DType.float32.unitRoundoff
        #expect(model.judge(.nan, exact: element(.nan), kind: .loss, dtype: .float32, unitRoundoff: u) == .exact)
        #expect(!model.judge(1, exact: element(.nan), kind: .loss, dtype: .float32, unitRoundoff: u).passes)
        #expect(model.judge(.infinity, exact: element(.infinity), kind: .loss, dtype: .float32, unitRoundoff: u).passes)
        #expect(
            !model.judge(-.infinity, exact: element(.infinity), kind: .loss, dtype: .float32, unitRoundoff: u).passes)
        #expect(!model.judge(.nan, exact: element(.infinity), kind: .loss, dtype: .float32, unitRoundoff: u).passes)
        #expect(!model.judge(.infinity, exact: element(3), kind: .loss, dtype: .float32, unitRoundoff: u).passes)
    }

    @Test("An infinity or NaN is allowed where an intermediate overflows its dtype")
    func overflow() {
        let u = DType.float16.unitRoundoff
        let flagged = element(-3300, scale: 3300, overflows: true)
        #expect(
            model.judge(-.infinity, exact: flagged, kind: .gradInput, dtype: .float16, unitRoundoff: u)
                == .allowedOverflow)
        #expect(model.judge(.nan, exact: flagged, kind: .gradVar, dtype: .float16, unitRoundoff: u) == .allowedOverflow)
        // A finite value must still be accurate.
        #expect(!model.judge(-3000, exact: flagged, kind: .gradInput, dtype: .float16, unitRoundoff: u).passes)
        // An exact value beyond float16's range rounds to inf.
        #expect(model.judge(.infinity, exact: element(70000), kind: .loss, dtype: .float16, unitRoundoff: u) == .exact)
    }

    @Test("A finite value passes within the bound and fails beyond it")
    func finite() {
        let u = DType.float32.unitRoundoff
        let exact = element(1, scale: 1)
        let bound = Double(model.bound(for: exact, kind: .loss, dtype: .float32, unitRoundoff: u))
        #expect(model.judge(1 + bound * 0.9, exact: exact, kind: .loss, dtype: .float32, unitRoundoff: u).passes)
        let beyond = model.judge(1 + bound * 1.5, exact: exact, kind: .loss, dtype: .float32, unitRoundoff: u)
        #expect(!beyond.passes)
        #expect(beyond.ratio > 1.4 && beyond.ratio < 1.6)
    }
}

@Suite("Judge")
struct JudgeTests {
    let judge = Judge()

    func call(reduction: String = "sum") -> LossCase {
        let values = { (v: [Double]) in try! Tensor(dtype: .float32, shape: [2], values: v) }
        return LossCase(
            input: values([1, 2]), target: values([0, 0]), variance: .tensor(values([1, 2])), reduction: reduction,
            gradOutput: .scalar(1, dtype: .float32))
    }

    @Test("The reference passes, far inside the bound")
    func referencePasses() {
        let call = call()
        let verdict = judge.judge(Reference.evaluate(call), expected: Oracle.evaluate(call), call: call)
        #expect(verdict.status == .passed)
        #expect(verdict.worstRatio <= 0.5)
    }

    @Test("A wrong value, a wrong shape, a missing gradient, a wrong kind and unsupported are judged")
    func failures() throws {
        let call = call()
        let expected = Oracle.evaluate(call)
        guard case .success(var result) = Reference.evaluate(call) else {
            Issue.record("expected a result")
            return
        }
        var wrong = result
        wrong.loss = .scalar(result.loss.values[0] * 1.001, dtype: .float32)
        #expect(judge.judge(.success(wrong), expected: expected, call: call).status == .failed)
        wrong = result
        wrong.loss = try Tensor(dtype: .float32, shape: [1], values: result.loss.values)
        #expect(judge.judge(.success(wrong), expected: expected, call: call).findings.first?.contains("shape") == true)
        result.gradients?.variance = nil
        #expect(judge.judge(.success(result), expected: expected, call: call).findings == ["grad_var is missing"])
        let rejection = Rejection(kind: .varSize, exceptionType: "ValueError", message: "var is of incorrect size")
        #expect(judge.judge(.rejection(rejection), expected: expected, call: call).status == .failed)
        // The suite's own answer for a call it did not send is skipped; a candidate's unsupported for a call the
        // suite sent (within its declaration) fails.
        #expect(judge.judge(.rejection(.notSent("no float32")), expected: expected, call: call).status == .skipped)
        let unsupported = Rejection(kind: .unsupported, exceptionType: "", message: "no float32")
        let refused = judge.judge(.rejection(unsupported), expected: expected, call: call)
        #expect(refused.status == .failed)
        #expect(
            refused.findings == ["answered unsupported (no float32) for a call within its declared dtypes and features"]
        )
        // Unless the suite cannot evaluate the call either (beyond the oracle's resource limit).
        let beyond = ExactOutcome.rejection(
            Rejection(kind: .unsupported, exceptionType: "ResourceLimit", message: "too many elements"))
        #expect(judge.judge(.rejection(unsupported), expected: beyond, call: call).status == .skipped)
    }

    @Test("A rejection of the right kind passes; the message is compared for information")
    func rejections() {
        let bad = call(reduction: "avg")
        let expected = Oracle.evaluate(bad)
        let verdict = judge.judge(Reference.evaluate(bad), expected: expected, call: bad)
        #expect(verdict.status == .passed && verdict.messageMatches == true)
        let paraphrase = Rejection(kind: .reduction, exceptionType: "ValueError", message: "bad reduction")
        let other = judge.judge(.rejection(paraphrase), expected: expected, call: bad)
        #expect(other.status == .passed && other.messageMatches == false)
    }
}

/// PyTorch's own outputs where its evaluation in the dtypes leaves their range: the oracle must accept them.
/// Every value was printed by real PyTorch 2.15.0 (CPU) for the same call.
@Suite("PyTorch's outputs at the range limits conform")
struct RangeLimitTests {
    func tensor(_ values: [Double], _ shape: Shape, _ dtype: DType) -> Tensor {
        try! Tensor(dtype: dtype, shape: shape, values: values)
    }

    func verdict(_ call: LossCase, loss: Tensor, gradients: Gradients? = nil) -> CaseJudgement {
        Judge().judge(
            .success(LossResult(loss: loss, gradients: gradients)), expected: Oracle.evaluate(call), call: call)
    }

    @Test("0·∞ after grad_output/2 rounds to 0 in float16: NaN gradients")
    func zeroTimesInfinity() {
        let call = LossCase(
            input: tensor([1], [1], .float16), target: tensor([-.infinity], [1], .float16),
            variance: .tensor(tensor([1], [1], .float16)), reduction: "none",
            gradOutput: tensor([-5.960464477539063e-08], [1], .float16))
        let gradients = Gradients(
            input: tensor([.nan], [1], .float16), target: tensor([.nan], [1], .float16),
            variance: tensor([.nan], [1], .float16))
        let judgement = verdict(call, loss: tensor([.infinity], [1], .float16), gradients: gradients)
        #expect(judgement.status == .passed, "\(judgement.findings)")
    }

    @Test("A 0-d float64 target is rounded to float32 before the subtraction: d = 0 exactly")
    func zeroDimensionalSubtraction() {
        let call = LossCase(
            input: tensor([9.98377799987793e-07], [1], .float32), target: tensor([9.983777999877928e-07], [], .float64),
            variance: .tensor(tensor([1], [1], .float32)), reduction: "sum", gradOutput: tensor([1], [], .float32))
        let gradients = Gradients(
            input: tensor([0], [1], .float32), target: tensor([0], [], .float64), variance: tensor([0.5], [1], .float32)
        )
        let judgement = verdict(call, loss: tensor([0], [], .float32), gradients: gradients)
        #expect(judgement.status == .passed, "\(judgement.findings)")
        // Exactly 0, so a candidate that subtracts the unrounded float64 value (d = 2.2e-22) is off.
        #expect(judgement.worstRatios[.gradInput] == 0)
    }

    @Test("A var element that no loss element reads gets 0/var: NaN for a NaN var")
    func unreadVarianceElement() {
        let call = LossCase(
            input: tensor([], [0], .float16), target: tensor([], [0], .float16),
            variance: .tensor(tensor([.nan], [], .float16)), full: true, reduction: "sum",
            gradOutput: tensor([0], [], .float16))
        let nanGradient = Gradients(
            input: tensor([], [0], .float16), target: tensor([], [0], .float16), variance: tensor([.nan], [], .float16))
        #expect(verdict(call, loss: tensor([0], [], .float16), gradients: nanGradient).status == .passed)
        let zeroGradient = Gradients(
            input: tensor([], [0], .float16), target: tensor([], [0], .float16), variance: tensor([0], [], .float16))
        #expect(verdict(call, loss: tensor([0], [], .float16), gradients: zeroGradient).status == .failed)
    }

    @Test("Σ grad/2 for a broadcast var overflows float32 before the division: grad_var = inf")
    func summedGradientOverflows() {
        let call = LossCase(
            input: tensor([0, 0, 0], [3], .float32), target: tensor([0], [1], .float32),
            variance: .tensor(tensor([2.25], [], .float32)), full: true, reduction: "sum",
            gradOutput: tensor([3.4028e38], [], .float32))
        let gradients = Gradients(
            input: tensor([0, 0, 0], [3], .float32), target: tensor([0], [1], .float32),
            variance: tensor([.infinity], [], .float32))
        let judgement = verdict(call, loss: tensor([3.9732108116149902], [], .float32), gradients: gradients)
        #expect(judgement.status == .passed, "\(judgement.findings)")
    }

    @Test("A Python-float var converted to float32 underflows to 0: 0/0 = NaN")
    func scalarVarianceUnderflows() {
        let call = LossCase(
            input: tensor([0], [], .float64), target: tensor([0], [1], .bfloat16), variance: .scalar(0x1.06p-1067),
            eps: 0, reduction: "none")
        let judgement = verdict(call, loss: tensor([.nan], [1], .bfloat16))
        #expect(judgement.status == .passed, "\(judgement.findings)")
    }

    @Test("d² underflows to 0 in float16 and var is -0.0 with eps 0: 0/0 = NaN, not -inf")
    func squaredDifferenceUnderflows() {
        let call = LossCase(
            input: tensor([-1.01e-6], [1], .float16), target: tensor([0], [1], .float16), variance: .scalar(-0.0),
            eps: 0, reduction: "none")
        let judgement = verdict(call, loss: tensor([.nan], [1], .float16))
        #expect(judgement.status == .passed, "\(judgement.findings)")
    }
}
