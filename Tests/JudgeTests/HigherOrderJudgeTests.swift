import GNLLTestSupport
import GaussianNLL
import Testing

@testable import Judge

@Suite("HigherOrderJudge")
struct HigherOrderJudgeTests {
    /// PyTorch's own hvp and jvp (every line of every facts file, with PyTorch's loss and gradients beside them)
    /// pass the judge against the oracle, within half of the bound; the largest ratio per output kind is printed.
    @Test(
        "PyTorch's hvp and jvp facts pass the judge with 2x headroom",
        arguments: (HigherOrderFacts.files + HigherOrderFacts.randomFiles).map(\.name))
    func pytorchPasses(file: String) throws {
        let profile = try #require(
            (HigherOrderFacts.files + HigherOrderFacts.randomFiles).first { $0.name == file }?.profile)
        let facts = try HigherOrderFacts.load(file, profile: profile)
        let judge = Judge()
        var worst = [OutputKind: Double]()
        var compared = 0
        for fact in facts {
            let expected = Oracle.evaluate(fact.call, profile: profile)
            if let raised = fact.raised {
                guard case .rejection = expected else {
                    Issue.record("\(fact.label): PyTorch raised \(raised), the oracle accepts")
                    continue
                }
                continue
            }
            guard case .success(let loss, let gradients, let higherOrder) = expected else {
                Issue.record("\(fact.label): the oracle rejects a call PyTorch accepts")
                continue
            }
            // Most lines record only the hvp and jvp: those are judged (the loss and gradients where a line has them).
            for output in OutputPairing.pairs(
                of: fact.result, loss: loss, gradients: gradients, higherOrder: higherOrder)
            {
                switch output {
                case .pair(let kind, let tensor, let exact):
                    guard fact.outputs[kind.rawValue] != nil || kind != .loss else { continue }
                    guard let tensor else {
                        #expect(fact.outputs[kind.rawValue] == nil, "\(fact.label): \(kind) not paired")
                        continue
                    }
                    let verdict = judge.judgeTensor(
                        tensor, exact: exact, kind: kind, unitRoundoff: fact.call.largestUnitRoundoff)
                    #expect(verdict.finding == nil, "\(fact.label): \(verdict.finding ?? "")")
                    worst[kind] = max(worst[kind] ?? 0, verdict.worstRatio)
                    #expect(verdict.worstRatio <= 0.5, "\(fact.label): \(kind) ratio \(verdict.worstRatio)")
                case .extraGradient(let kind):
                    Issue.record("\(fact.label): PyTorch has \(kind), the oracle does not")
                }
            }
            for name in ["hvp_input", "hvp_target", "hvp_var", "jvp"] where fact.outputs[name] != nil {
                compared += 1
            }
        }
        let summary = OutputKind.allCases.compactMap { kind in worst[kind].map { "\(kind) \($0)" } }
        print("\(file): \(compared) hvp/jvp outputs; largest ratios: \(summary.joined(separator: ", "))")
        #expect(worst[.hvpVar] != nil && worst[.jvp] != nil)
    }

    /// At var = eps, 2.14 and later drop var's tangent from jvp and earlier releases keep it (`clamp.eps=0.01`:
    /// jvp[1] is −100 on 2.15.0 and −20050 on 2.9.1): torch-2.10 spans both kinds of release, so its oracle accepts
    /// either; torch-2.6 accepts only the kept tangent.
    @Test("jvp at var = eps: torch-2.10 accepts both releases' answers, torch-2.6 only its own")
    func forwardClampTestAtEps() throws {
        let new = try #require(
            try HigherOrderFacts.load("higher_order_facts-2.15.0.txt", profile: .torch2_10)
                .first { $0.label == "clamp.eps=0.01.none" })
        let old = try #require(
            try HigherOrderFacts.load("higher_order_facts-2.9.1.txt", profile: .torch2_6)
                .first { $0.label == "clamp.eps=0.01.none" })
        #expect(new.result.jvp?.values[1] == -100)
        #expect(old.result.jvp?.values[1] == -20050)
        let judge = Judge()
        for (fact, profile, passes) in [
            (new, Profile.torch2_10, true), (old, .torch2_10, true), (old, .torch2_6, true), (new, .torch2_6, false),
        ] {
            let expected = Oracle.evaluate(fact.call, profile: profile)
            let judgement = judge.judge(.success(fact.result), expected: expected, call: fact.call)
            let jvpFailed = judgement.findings.contains { $0.hasPrefix("jvp") }
            #expect(jvpFailed != passes, "\(profile): \(judgement.findings)")
        }
    }

    /// PyTorch's forward mode gives a float64 jvp when every operand is 0-d (dual tensors on 2.9.1 and 2.1.2,
    /// torch.func.jvp everywhere): accepted there, and only there. jvp = d·ḋ/v = 0.5·1/1 under 'mean'.
    @Test("A float64 jvp is accepted for a call whose operands are all 0-d, and only there")
    func float64ForwardModeOfZeroDimensionalCalls() throws {
        for shape: Shape in [[], [1]] {
            let input = try Tensor(dtype: .float32, shape: shape, values: [0.5])
            let call = LossCase(
                input: input, target: try Tensor(dtype: .float32, shape: shape, values: [0]),
                variance: .tensor(try Tensor(dtype: .float32, shape: [], values: [1])),
                gradOutput: try Tensor(dtype: .float32, shape: [], values: [1]),
                requiresGrad: RequiresGrad(input: true, target: false, variance: false),
                higherOrder: HigherOrderRequest(
                    tangents: OperandTensors(
                        input: try Tensor(dtype: .float32, shape: shape, values: [1]), target: nil, variance: nil),
                    hvp: false, jvp: true))
            let expected = Oracle.evaluate(call, profile: .torch2_10)
            var result = try #require(Reference.evaluate(call, profile: .torch2_10).result)
            #expect(result.jvp?.values == [0.5] && result.jvp?.dtype == .float32)
            result.jvp = try Tensor(dtype: .float64, shape: [], values: [0.5])
            let findings = Judge().judge(.success(result), expected: expected, call: call).findings
            if shape.rank == 0 {
                #expect(findings.isEmpty, "\(findings)")
            } else {
                #expect(findings == ["jvp has dtype float64, expected float32"])
            }
            result.jvp = try Tensor(dtype: .float64, shape: [], values: [0.75])
            #expect(!Judge().judge(.success(result), expected: expected, call: call).findings.isEmpty)
        }
    }

    /// A missing hvp or jvp, and one that was not asked for, are findings that name the output.
    @Test("Missing and extra hvp and jvp outputs are findings")
    func missingAndExtra() throws {
        let facts = try HigherOrderFacts.load("higher_order_facts-2.15.0.txt", profile: .torch2_10)
        let fact = try #require(facts.first { $0.label == "subsets.input.none" })
        let expected = Oracle.evaluate(fact.call, profile: .torch2_10)
        var missing = fact.result
        missing.hvp = nil
        missing.jvp = nil
        let judge = Judge()
        let findings = judge.judge(.success(missing), expected: expected, call: fact.call).findings
        #expect(findings.contains("hvp_input is missing"))
        #expect(findings.contains("jvp is missing"))
        var extra = fact.result
        let input = extra.hvp?.input
        extra.hvp?.variance = input
        let extraFindings = judge.judge(.success(extra), expected: expected, call: fact.call).findings
        #expect(extraFindings.contains("hvp_var is present, but var does not require grad"))
        var plain = fact.call
        plain.higherOrder = nil
        let plainExpected = Oracle.evaluate(plain, profile: .torch2_10)
        let unasked = judge.judge(.success(fact.result), expected: plainExpected, call: plain).findings
        #expect(unasked.contains("hvp_input is present, but no hvp was asked for"))
        #expect(unasked.contains("jvp is present, but no jvp was asked for"))
    }
}
