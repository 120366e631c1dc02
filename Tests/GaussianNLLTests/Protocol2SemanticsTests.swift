import GNLLTestSupport
import Testing

@testable import GaussianNLL

/// The calls protocol 2 can carry, against what real PyTorch printed for the same calls (2.15.0, 2.9.1 and
/// 2.1.2 CPU; `.tolist()` of float32 results, which prints each value exactly). The script and its output are in
/// `Tools/facts/`.
@Suite("Reference: integer and bool operands, partial gradients, non-finite eps, the sign of zero")
struct Protocol2SemanticsTests {
    static func ints(_ values: [Double], _ dtype: DType = .int32, _ shape: Shape? = nil) -> Tensor {
        // swift-format-ignore: NeverForceUnwrap
        try! Tensor(dtype: dtype, shape: shape ?? [values.count], values: values)
    }

    @Test("Integer input and target with a float var: the loss takes var's dtype")
    func integerOperands() throws {
        // torch 2.15.0: gaussian_nll_loss(int32 [1, 2, 3], int32 [2, 3, 4], float32 [1, 2, 3], reduction='none')
        // is float32 [0.5, 0.5965735912322998, 0.7159728407859802].
        let outcome = Reference.evaluate(
            LossCase(
                input: Self.ints([1, 2, 3]), target: Self.ints([2, 3, 4]), variance: .tensor(tensor([1, 2, 3])),
                reduction: "none"))
        let loss = try #require(outcome.result?.loss)
        #expect(loss.dtype == .float32)
        #expect(loss.values == [0.5, 0.5965735912322998, 0.7159728407859802])
        // int32 input, int64 target, float16 var: float16 [0.5, 0.5966796875, 0.7158203125].
        let mixed = Reference.evaluate(
            LossCase(
                input: Self.ints([1, 2, 3]), target: Self.ints([2, 3, 4], .int64),
                variance: .tensor(tensor([1, 2, 3], nil, .float16)), reduction: "none"))
        #expect(mixed.result?.loss.dtype == .float16)
        #expect(mixed.result?.loss.values == [0.5, 0.5966796875, 0.7158203125])
    }

    @Test("input - target and its square wrap around in the integer type, then convert to var's dtype")
    func wraparound() throws {
        func loss(_ input: Tensor, _ target: Tensor, _ variance: Tensor) -> [Double]? {
            Reference.evaluate(LossCase(input: input, target: target, variance: .tensor(variance), reduction: "none"))
                .result?.loss.values
        }
        // int32 (2^31 - 1) - (-1) wraps to -2^31, whose square wraps to 0; -2^31 - 1 wraps to 2^31 - 1, whose
        // square wraps to 1: torch gives [0.0, 0.5].
        #expect(
            loss(Self.ints([2_147_483_647, -2_147_483_648]), Self.ints([-1, 1]), tensor([1, 1])) == [0, 0.5])
        // 50000² wraps in int32 to -1794967296: torch gives [-897483648.0].
        #expect(loss(Self.ints([50000]), Self.ints([0]), tensor([1])) == [-897_483_648])
        // int64 (2^33)² = 2^66 wraps to 0: float64 [0.0].
        #expect(loss(Self.ints([0x1p33], .int64), Self.ints([0], .int64), tensor([1], nil, .float64)) == [0])
        // 2049² = 4198401 is inf in float16.
        #expect(loss(Self.ints([2049], .int64), Self.ints([0], .int64), tensor([1], nil, .float16)) == [.infinity])
        // (2^24 + 1)² = 2^48 + 2^25 + 1 rounds to float32 2^48 + 2^25: torch gives [140737505132544.0].
        #expect(
            loss(Self.ints([16_777_217], .int64), Self.ints([0], .int64), tensor([1])) == [140_737_505_132_544])
    }

    @Test("A Python float var with an integral input takes float32, the default dtype")
    func scalarVarWithIntegerInput() throws {
        // torch 2.15.0: gaussian_nll_loss(int32 [1, 2, 3], int32 [2, 3, 4], 2.0, reduction='none') is float32
        // [0.5965735912322998] * 3; torch 2.1.2 raises AttributeError (no float var before 2.6).
        let call = LossCase(
            input: Self.ints([1, 2, 3]), target: Self.ints([2, 3, 4]), variance: .scalar(2), reduction: "none")
        let loss = try #require(Reference.evaluate(call, profile: .torch2_10).result?.loss)
        #expect(loss.dtype == .float32)
        #expect(loss.values == [0.5965735912322998, 0.5965735912322998, 0.5965735912322998])
        #expect(Reference.evaluate(call, profile: .torch1_9).rejection?.kind == .type)
    }

    @Test(
        "An integer or bool var fails at the clamp; a bool operand fails at the subtraction",
        arguments: Profile.allCases)
    func integerRejections(profile: Profile) {
        let float = tensor([0.5, 1.5, 2.5])
        func rejection(_ input: Tensor, _ target: Tensor, _ variance: Tensor) -> Rejection? {
            Reference.evaluate(LossCase(input: input, target: target, variance: .tensor(variance)), profile: profile)
                .rejection
        }
        // torch 2.15.0, 2.9.1, 2.1.2 alike: RuntimeError "result type Float can't be cast to the desired output
        // type int" (int64: "long int", bool: "bool").
        for (dtype, name) in [(DType.int32, "int"), (.int64, "long int"), (.bool, "bool")] {
            let got = rejection(float, float, Self.ints([1, 1, 0], dtype))
            #expect(got?.kind == .type)
            #expect(got?.exceptionType == "RuntimeError")
            #expect(got?.message == "result type Float can't be cast to the desired output type \(name)")
        }
        // A negative integer var is negative first.
        #expect(rejection(float, float, Self.ints([-1, 2, 3]))?.kind == .negativeVar)
        // Bool in the subtraction: NotImplementedError on 2.15.0, RuntimeError on 2.9.1 and 2.1.2.
        let boolTensor = Self.ints([1, 0, 1], .bool)
        let one = rejection(boolTensor, Self.ints([1, 2, 3]), float)
        #expect(one?.kind == .type)
        #expect(one?.exceptionType == (profile == .torch2_10 ? "NotImplementedError" : "RuntimeError"))
        #expect(one?.message.hasPrefix("Subtraction, the `-` operator, with a bool tensor is not supported.") == true)
        let two = rejection(boolTensor, boolTensor, float)
        #expect(
            two?.message.hasPrefix("Subtraction, the `-` operator, with two bool tensors is not supported.") == true)
    }

    @Test("An operand's gradient does not depend on which others require grad; the others are absent")
    func partialGradients() throws {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<50 {
            let full = randomCall(&generator, dtype: .float32, withGradients: true)
            let all = try #require(Reference.evaluate(full).result?.gradients)
            for mask in 1..<8 {
                var call = full
                call.requiresGrad = RequiresGrad(input: mask & 1 != 0, target: mask & 2 != 0, variance: mask & 4 != 0)
                let some = try #require(Reference.evaluate(call).result?.gradients)
                #expect(some.present == call.requiresGrad)
                #expect(sameBits(some.input, call.requiresGrad.input ? all.input : nil))
                #expect(sameBits(some.target, call.requiresGrad.target ? all.target : nil))
                #expect(sameBits(some.variance, call.requiresGrad.variance ? all.variance : nil))
            }
        }
    }

    @Test("A broadcast target's gradient that cancels exactly is +0.0; an unbroadcast one is −0.0")
    func signOfZero() throws {
        // torch 2.15.0 and 2.1.2: input [2, 2] float32, target 0-d 2.0, var ones: grad_target +0.0 (negated
        // element by element, then summed from +0.0); target [3] under input [1, 3]: +0.0 each (summed over the
        // leading 1); target [3] under input [3]: −0.0 each (not summed).
        func targetGradient(_ input: Tensor, _ target: Tensor) throws -> [Double] {
            let call = LossCase(
                input: input, target: target,
                variance: .tensor(try Tensor.filled(1, dtype: .float32, shape: input.shape)),
                reduction: "sum", gradOutput: .scalar(1, dtype: .float32))
            return try #require(Reference.evaluate(call).result?.gradients?.target?.values)
        }
        for size in [2, 40] {  // below and above the fused kernel's threshold
            let gradient = try targetGradient(
                try .filled(2, dtype: .float32, shape: [size]), .scalar(2, dtype: .float32))
            #expect(gradient.map(\.sign) == [.plus])
        }
        let row = tensor([1, 2, 3])
        #expect(try targetGradient(try row.reshaped([1, 3]), row).map(\.sign) == [.plus, .plus, .plus])
        #expect(try targetGradient(row, row).map(\.sign) == [.minus, .minus, .minus])
        let wide = tensor((0..<48).map(Double.init))
        #expect(try targetGradient(try wide.reshaped([1, 48]), wide).allSatisfy { $0.sign == .plus })
        #expect(try targetGradient(wide, wide).allSatisfy { $0.sign == .minus })
    }

    @Test("Protocol 2 is needed exactly for the calls protocol 1 cannot express")
    func protocolVersionNeeded() {
        let base = LossCase(input: tensor([1]), target: tensor([0]), variance: .tensor(tensor([1])))
        #expect(base.protocolVersionNeeded == 1)
        var call = base
        call.eps = -.infinity
        #expect(call.protocol2Reason == "a non-finite eps (-inf)")
        call = base
        call.gradOutput = .scalar(1, dtype: .float32)
        #expect(call.protocolVersionNeeded == 1)
        call.requiresGrad.target = false
        #expect(call.protocol2Reason == "gradients for only some operands (input, var)")
        call = base
        call.target = Self.ints([0])
        #expect(call.protocol2Reason == "an int32 operand")
        let info = CandidateInfo(name: "v1", version: "1", protocolVersion: 1)
        #expect(info.unsupportedReason(for: call) == "needs protocol 2 (an int32 operand)")
    }

    @Test("Why a call asks for no gradient of an operand, as the protocol and the judge both say it")
    func whyNoGradient() {
        var call = LossCase(
            input: Self.ints([1, 2]), target: tensor([0, 0]), variance: .scalar(1),
            gradOutput: .scalar(1, dtype: .float32),
            requiresGrad: RequiresGrad(input: true, target: true, variance: true))
        #expect(call.whyNoGradient(of: .input) == "input is int32, which cannot require grad")
        #expect(call.whyNoGradient(of: .target) == nil)
        #expect(call.whyNoGradient(of: .variance) == "var is a scalar, which has no gradient")
        call.requiresGrad.target = false
        #expect(call.whyNoGradient(of: .target) == "target does not require grad")
        call.gradOutput = nil
        #expect(call.whyNoGradient(of: .target) == "no gradients were asked for")
    }
}
