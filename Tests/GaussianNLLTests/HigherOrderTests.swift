import GNLLTestSupport
import Testing

@testable import GaussianNLL

@Suite("HigherOrder")
struct HigherOrderTests {
    static let higherOutputs = ["hvp_input", "hvp_target", "hvp_var", "jvp"]

    /// The reference's hvp and jvp against PyTorch's for every fact of every facts file: the same outputs, dtypes
    /// and shapes, the same NaNs and infinities, and values within a few units in the last place; the rate of
    /// bitwise agreement is printed.
    @Test(
        "The reference reproduces PyTorch's hvp and jvp facts",
        arguments: (HigherOrderFacts.files + HigherOrderFacts.randomFiles).map(\.name))
    func referenceMatchesFacts(file: String) throws {
        let profile = try #require(
            (HigherOrderFacts.files + HigherOrderFacts.randomFiles).first { $0.name == file }?.profile)
        let facts = try HigherOrderFacts.load(file, profile: profile)
        #expect(facts.count == (file.contains("random") ? 72 : 87))
        var compared = 0
        var bitwise = 0
        for fact in facts {
            let outcome = Reference.evaluate(fact.call, profile: profile)
            if fact.raised != nil {
                #expect(outcome.result == nil, "\(fact.label): PyTorch raised")
                continue
            }
            let result = try #require(outcome.result, "\(fact.label)")
            guard case .success(_, _, let exact?) = Oracle.evaluate(fact.call, profile: profile) else {
                Issue.record("\(fact.label): the oracle gives no hvp or jvp")
                continue
            }
            let exactOutputs: [String: ExactTensor?] = [
                "hvp_input": exact.hvp?.input, "hvp_target": exact.hvp?.target, "hvp_var": exact.hvp?.variance,
                "jvp": exact.jvp,
            ]
            let mine: [String: Tensor?] = [
                "hvp_input": result.hvp?.input, "hvp_target": result.hvp?.target, "hvp_var": result.hvp?.variance,
                "jvp": result.jvp,
            ]
            for name in Self.higherOutputs {
                let expected = fact.outputs[name]
                let got = mine[name] ?? nil
                #expect((expected == nil) == (got == nil), "\(fact.label): \(name) presence")
                guard let expected, let got else { continue }
                compared += expected.elementCount
                #expect(got.dtype == expected.dtype && got.shape == expected.shape, "\(fact.label): \(name)")
                for (index, (a, b)) in zip(got.values, expected.values).enumerated() {
                    if a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) {
                        bitwise += 1
                        continue
                    }
                    // A few units in the last place, or (for a sum that cancels) a few rounding errors of its terms.
                    let ulp = expected.dtype.unitRoundoff * 2 * max(abs(b), expected.dtype.leastNormalMagnitude)
                    let element = (exactOutputs[name] ?? nil)?.elements[index]
                    let terms = element.map { Double($0.errorScale) + 4 * Double($0.magnitude) } ?? 0
                    let close =
                        a.isFinite && b.isFinite && abs(a - b) <= max(8 * ulp, 4 * expected.dtype.unitRoundoff * terms)
                    // float16 jvp whose 1/v² overflows: torch-2.6 gives −inf, torch-2.10 a finite value.
                    let overflow = fact.label == "dtypes.float16.overflow"
                    #expect(close || overflow, "\(fact.label): \(name)[\(index)] = \(a), PyTorch \(b)")
                }
            }
        }
        print("\(file): \(bitwise) of \(compared) hvp/jvp elements bitwise equal to PyTorch's")
    }

    static func tensor(_ values: [Double], _ shape: Shape = [1]) -> Tensor {
        try! Tensor(dtype: .float64, shape: shape, values: values)
    }

    /// One element, every operand with a tangent: d = 1, v = 2, g = 1, ḋ = 1, v̇ = 1 give, by hand,
    /// hvp_input = 1/2 − 1/4, hvp_var = −1/4 + (1/8 − 1/8), jvp = 1/2 + (1/4 − 1/8).
    @Test("Hand-computed hvp and jvp of one element", arguments: Profile.allCases)
    func handComputed(profile: Profile) throws {
        var call = LossCase(
            input: Self.tensor([1]), target: Self.tensor([0]), variance: .tensor(Self.tensor([2])), reduction: "sum")
        call.gradOutput = .scalar(1, dtype: .float64)
        call.higherOrder = HigherOrderRequest(
            tangents: OperandTensors(input: Self.tensor([1]), target: Self.tensor([0]), variance: Self.tensor([1])))
        let result = try #require(Reference.evaluate(call, profile: profile).result)
        #expect(result.hvp?.input?.values == [0.25])
        #expect(result.hvp?.target?.values == [-0.25])
        #expect(result.hvp?.variance?.values == [-0.25])
        #expect(result.jvp?.values == [0.625])
        guard case .success(_, _, let exact?) = Oracle.evaluate(call, profile: profile) else {
            Issue.record("the oracle gives no higher-order outputs")
            return
        }
        #expect(exact.hvp?.input?.elements.map { Double($0.value) } == [0.25])
        #expect(exact.hvp?.target?.elements.map { Double($0.value) } == [-0.25])
        #expect(exact.hvp?.variance?.elements.map { Double($0.value) } == [-0.25])
        #expect(exact.jvp?.elements.map { Double($0.value) } == [0.625])
        // Error scales: 1/2 + 1/4; var's four parts 1/4 + 1/8 + 1/16 + 1/16; 1/2 + 1/4 + 1/8.
        #expect(exact.hvp?.input?.elements.first?.errorScale == 0.75)
        #expect(exact.hvp?.variance?.elements.first?.errorScale == 0.5)
        #expect(exact.jvp?.elements.first?.errorScale == 0.875)
    }

    /// var only, below and at eps 0.01 (x = 1, t = 0, v̇ = 1): hvp_var is var's second derivative at v = eps,
    /// 1/eps³ − 1/(2eps²) = 995000, as if unclamped; jvp drops the tangent below eps, and at var = eps keeps it
    /// before torch-2.10 (1/(2eps) − 1/(2eps²) = −4950) but not from torch-2.10 on.
    @Test("The clamp at second order and in forward mode", arguments: Profile.allCases)
    func clampRules(profile: Profile) throws {
        for (varianceValue, keeps) in [(1e-4, false), (1e-2, profile != .torch2_10)] {
            var call = LossCase(
                input: Self.tensor([1]), target: Self.tensor([0]), variance: .tensor(Self.tensor([varianceValue])),
                eps: 1e-2, reduction: "sum")
            call.gradOutput = .scalar(1, dtype: .float64)
            call.requiresGrad = RequiresGrad(input: false, target: false, variance: true)
            call.higherOrder = HigherOrderRequest(
                tangents: OperandTensors(input: nil, target: nil, variance: Self.tensor([1])))
            let result = try #require(Reference.evaluate(call, profile: profile).result)
            let hvp = try #require(result.hvp?.variance?.values.first)
            #expect(abs(hvp - 995_000) <= 1e-9 * 995_000)
            #expect(result.hvp?.input == nil && result.hvp?.target == nil)
            let jvp = try #require(result.jvp?.values.first)
            let expected = keeps ? -4950.0 : 0
            #expect(abs(jvp - expected) <= 1e-9 * 4950, "var \(varianceValue) under \(profile)")
            guard case .success(_, _, let exact?) = Oracle.evaluate(call, profile: profile) else {
                Issue.record("the oracle gives no higher-order outputs")
                return
            }
            #expect(abs(Double(exact.jvp?.elements.first?.value ?? .nan) - expected) <= 1e-9 * 4950)
            #expect(abs(Double(exact.hvp?.variance?.elements.first?.value ?? .nan) - 995_000) <= 1e-9 * 995_000)
        }
    }

    /// A request with a tangent of the wrong shape, or one for an operand that does not require grad, is rejected
    /// as unsupported, by the reference and the oracle alike, with a message naming the operand.
    @Test("A malformed request is rejected as unsupported")
    func malformedRequest() throws {
        var call = LossCase(
            input: Self.tensor([1, 2], [2]), target: Self.tensor([0, 0], [2]),
            variance: .tensor(Self.tensor([1, 1], [2])), reduction: "sum")
        call.gradOutput = .scalar(1, dtype: .float64)
        call.requiresGrad = RequiresGrad(input: true, target: false, variance: false)
        call.higherOrder = HigherOrderRequest(
            tangents: OperandTensors(input: Self.tensor([1]), target: nil, variance: nil))
        let rejection = try #require(Reference.evaluate(call).rejection)
        #expect(
            rejection.kind == .unsupported && rejection.message == "input's tangent must have input's shape and dtype")
        guard case .rejection(let oracle) = Oracle.evaluate(call) else {
            Issue.record("the oracle accepted a malformed request")
            return
        }
        #expect(oracle == rejection)
        call.higherOrder?.tangents.target = Self.tensor([1, 1], [2])
        call.higherOrder?.tangents.input = Self.tensor([1, 1], [2])
        #expect(Reference.evaluate(call).rejection?.message == "a tangent for target, which does not require grad")
    }

    /// The reference's hvp and jvp agree with the oracle's within a few rounding errors of the error scale, on
    /// random well-conditioned calls of every floating dtype with every operand's tangent.
    @Test("The reference's hvp and jvp agree with the oracle", arguments: DType.floatingCases)
    func agreesWithOracle(dtype: DType) throws {
        var generator = SplitMix64(seed: 20_261_208 &+ UInt64(dtype.byteWidth))
        for _ in 0..<200 {
            var call = randomCall(&generator, dtype: dtype, withGradients: true)
            func tangent(_ tensor: Tensor) -> Tensor {
                try! Tensor(
                    dtype: tensor.dtype, shape: tensor.shape,
                    values: (0..<tensor.elementCount).map { _ in 2 * generator.unitInterval() - 1 })
            }
            call.higherOrder = HigherOrderRequest(
                tangents: OperandTensors(
                    input: tangent(call.input), target: tangent(call.target), variance: tangent(call.variance.tensor!)))
            let result = try #require(Reference.evaluate(call).result)
            guard case .success(_, _, let exact?) = Oracle.evaluate(call) else {
                Issue.record("the oracle gives no higher-order outputs")
                return
            }
            let pairs: [(Tensor?, ExactTensor?)] = [
                (result.hvp?.input, exact.hvp?.input), (result.hvp?.target, exact.hvp?.target),
                (result.hvp?.variance, exact.hvp?.variance), (result.jvp, exact.jvp),
            ]
            for (tensor, exactTensor) in pairs {
                let tensor = try #require(tensor)
                let exactTensor = try #require(exactTensor)
                #expect(tensor.shape == exactTensor.shape && tensor.dtype == exactTensor.dtype)
                for (value, element) in zip(tensor.values, exactTensor.elements) {
                    if element.overflows && !value.isFinite { continue }
                    let levels = Double(
                        max(1, element.summands).bitWidth - (max(1, element.summands) - 1).leadingZeroBitCount)
                    let allowed =
                        12 * dtype.unitRoundoff * Double(element.errorScale)
                        + 2 * levels * dtype.accumulationType.unitRoundoff * Double(element.magnitude)
                        + Double(element.rangeSlack) + Double(max(1, element.summands)) * dtype.leastNonzeroMagnitude
                    #expect(abs(value - Double(element.value)) <= allowed, "\(call.input.shape) \(call.reduction)")
                }
            }
        }
    }
}
