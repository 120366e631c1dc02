import Conformance
import GNLLTestSupport
import GaussianNLL
import Testing

@testable import PropertyTesting

@Suite("Property suite")
struct SuiteTests {
    /// No false alarms: the reference passes every property, under every profile, at the default budget.
    @Test("The reference passes every property", arguments: Profile.allCases, [1, 2] as [UInt64])
    func referencePasses(profile: Profile, seed: UInt64) {
        let context = context(ReferenceCandidate(profile: profile), profile: profile, seed: seed)
        for check in PropertySuite.checks(for: profile, database: nil) {
            let result = check.run(in: context)
            #expect(result.status == .passed, "\(check.id): \(result.failure?.message ?? "")")
            #expect(result.skippedCases == 0, "\(check.id)")
        }
    }

    @Test("Ids are unique, stable and namespaced; Python-float properties only where floats are accepted")
    func ids() {
        for profile in Profile.allCases {
            let ids = PropertySuite.checkIDs(for: profile)
            #expect(Set(ids).count == ids.count)
            #expect(ids.allSatisfy { $0.hasPrefix("property.") })
            #expect(ids.contains("property.random.oracle"))
            #expect(ids.contains("property.scalar_var.equals_filled_tensor") == profile.acceptsScalarVariance)
            #expect(ids.contains("property.gradient.requires_grad_independent"))
            #expect(ids.contains("property.dtype.integer_operands"))
            #expect(ids.contains("property.gradient.broadcast_target_zero_sign") == !profile.sumsPerSample)
            // CONFORMANCE.md §6 states these counts.
            #expect(ids.contains("property.higher_order.oracle"))
            let expected: [Profile: Int] = [.torch1_8: 25, .torch1_9: 26, .torch2_6: 27, .torch2_10: 27]
            #expect(ids.count == expected[profile])
        }
    }

    @Test("A float32/float64 candidate without features gets real cases, and the rest is skipped, not failed")
    func limitedCandidate() {
        let profile = Profile.torch2_10
        let context = context(LimitedCandidate(profile: profile), profile: profile, cases: 100)
        var statuses = [String: CheckStatus]()
        for check in PropertySuite.checks(for: profile, database: nil) {
            let result = check.run(in: context)
            statuses[check.id] = result.status
            #expect(result.status != .failed, "\(check.id): \(result.failure?.message ?? "")")
            if result.status == .passed { #expect(result.skippedCases == 0, "\(check.id)") }
        }
        #expect(statuses["property.random.oracle"] == .passed)
        #expect(statuses["property.eps.clamp_equivalence"] == .passed)
        #expect(statuses["property.gradient.finite_differences"] == .skipped)
        #expect(statuses["property.dtype.promotion"] == .skipped)
        #expect(statuses["property.dtype.half_accumulation"] == .skipped)
        #expect(statuses["property.scalar_var.equals_filled_tensor"] == .skipped)
        #expect(statuses["property.higher_order.oracle"] == .skipped)
    }

    /// hvp and jvp are protocol 2 features: a candidate that declares neither gets property.higher_order.oracle's
    /// cases skipped ("not run", never passed); one that declares only jvp is asked for jvp alone, and passes.
    @Test("property.higher_order.oracle is not run without hvp and jvp, and asks only for what is declared")
    func higherOrderFeatures() throws {
        let profile = Profile.torch2_10
        let check = try #require(
            PropertySuite.checks(for: profile, database: nil).first { $0.id == "property.higher_order.oracle" })
        let without = FeatureCandidate(profile: profile, features: [.grad, .scalarVar, .mixedDtype])
        let skipped = check.run(in: context(without, profile: profile, cases: 40))
        #expect(skipped.status == .skipped)
        #expect(skipped.failure?.message.contains("is not supported") == true, "\(skipped.failure?.message ?? "")")
        let jvpOnly = FeatureCandidate(profile: profile, features: [.grad, .scalarVar, .mixedDtype, .jvp])
        let passed = check.run(in: context(jvpOnly, profile: profile, cases: 40))
        #expect(passed.status == .passed, "\(passed.failure?.message ?? "")")
        #expect(passed.skippedCases == 0)
    }

    @Test("property.higher_order.oracle fails a candidate whose Hessian is zero")
    func zeroHessianFails() throws {
        let profile = Profile.torch2_6
        let check = try #require(
            PropertySuite.checks(for: profile, database: nil).first { $0.id == "property.higher_order.oracle" })
        let result = check.run(in: context(ZeroHessianCandidate(profile: profile), profile: profile, cases: 40))
        #expect(result.status == .failed)
        #expect(result.failure?.message.contains("hvp_") == true, "\(result.failure?.message ?? "")")
    }

    @Test("The same seed draws the same cases")
    func determinism() {
        let profile = Profile.torch1_9
        for check in PropertySuite.checks(for: profile, database: nil).prefix(4) {
            let first = check.run(in: context(BrokenCandidate(profile: profile), profile: profile, seed: 5, cases: 60))
            let second = check.run(in: context(BrokenCandidate(profile: profile), profile: profile, seed: 5, cases: 60))
            #expect(first == second)
        }
    }

    /// The snippet of an hvp/jvp case takes them as `higher_order_facts.py` does (run in PyTorch 2.15.0: hvp
    /// (0.25, −0.25), jvp 0.25 for input 1 and target 0 requiring grad, with tangents 1 and 0.5, and var 2).
    @Test("hvp and jvp cases are written out as PyTorch code")
    func pythonHigherOrder() throws {
        var call = LossCase(
            input: try Tensor(dtype: .float64, shape: [1], values: [1]),
            target: try Tensor(dtype: .float64, shape: [1], values: [0]),
            variance: .tensor(try Tensor(dtype: .float64, shape: [1], values: [2])), reduction: "sum")
        call.gradOutput = .scalar(1, dtype: .float64)
        call.requiresGrad = RequiresGrad(input: true, target: true, variance: false)
        call.higherOrder = HigherOrderRequest(
            tangents: OperandTensors(
                input: try Tensor(dtype: .float64, shape: [1], values: [1]),
                target: try Tensor(dtype: .float64, shape: [1], values: [0.5]), variance: nil))
        let expected: [String] = [
            "tangent_input = torch.tensor([1.0], dtype=torch.float64)",
            "tangent_target = torch.tensor([0.5], dtype=torch.float64)",
            "grads = torch.autograd.grad(loss, [input, target], torch.tensor(1.0, dtype=torch.float64), "
                + "create_graph=True)",
            "hvp = torch.autograd.grad(grads, [input, target], [tangent_input, tangent_target])",
            "jvp = torch.func.jvp(lambda input, target: F.gaussian_nll_loss(input, target, var.detach(), "
                + "full=False, eps=1e-06, reduction='sum'), tuple(x.detach() for x in [input, target]), "
                + "tuple([tangent_input, tangent_target]))[1]",
        ]
        let lines = Array(CaseDescription.python(call).suffix(5))
        #expect(lines == expected)
        let result = try #require(Reference.evaluate(call).result)
        #expect(result.hvp?.input?.values == [0.25] && result.hvp?.target?.values == [-0.25])
        #expect(result.jvp?.values == [0.25])
    }

    @Test("Cases are written out as PyTorch code")
    func python() throws {
        let input = try Tensor(dtype: .float32, shape: [2, 1], values: [0.5, -1])
        let target = try Tensor(dtype: .float16, shape: [0, 3], values: [])
        let call = LossCase(
            input: input, target: target, variance: .scalar(.leastNonzeroMagnitude), full: true, eps: 0,
            reduction: "it's")
        #expect(
            CaseDescription.python(call) == [
                "input = torch.tensor([[0.5], [-1.0]], dtype=torch.float32)",
                "target = torch.empty((0, 3), dtype=torch.float16)",
                "var = 5e-324",
                "loss = F.gaussian_nll_loss(input, target, var, full=True, eps=0.0, reduction='it\\'s')",
            ])
        let gradient = LossCase(
            input: .scalar(.nan, dtype: .bfloat16), target: .scalar(1, dtype: .float64),
            variance: .tensor(.scalar(2, dtype: .float64)),
            gradOutput: .scalar(1, dtype: .float64))
        #expect(
            CaseDescription.python(gradient).last == "loss.backward(torch.tensor(1.0, dtype=torch.float64))")
        #expect(
            CaseDescription.python(gradient).first
                == "input = torch.tensor(float('nan'), dtype=torch.bfloat16, requires_grad=True)")
    }
}
