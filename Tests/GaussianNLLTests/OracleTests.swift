import GNLLTestSupport
import Testing

@testable import GaussianNLL

@Suite("Oracle")
struct OracleTests {
    /// |reference − exact| ≤ few · u · S for every output element of random well-conditioned calls.
    @Test(
        "The dtype evaluation agrees with the oracle within a few ulps of the error scale",
        arguments: DType.floatingCases)
    func agreesWithReference(dtype: DType) throws {
        var generator = SplitMix64(seed: 20_261_129 &+ UInt64(dtype.byteWidth))
        for _ in 0..<200 {
            let call = randomCall(&generator, dtype: dtype, withGradients: true)
            let result = try #require(Reference.evaluate(call).result)
            guard case .success(let loss, let gradients, _) = Oracle.evaluate(call) else {
                Issue.record("the oracle rejected a call the reference accepts")
                return
            }
            let pairs: [(Tensor?, ExactTensor?)] = [
                (result.loss, loss), (result.gradients?.input, gradients?.input),
                (result.gradients?.target, gradients?.target), (result.gradients?.variance, gradients?.variance),
            ]
            for case (let tensor?, let exact?) in pairs {
                #expect(tensor.shape == exact.shape && tensor.dtype == exact.dtype)
                for (value, element) in zip(tensor.values, exact.elements) {
                    // float16 intermediates such as d²/v² overflow where the exact value is finite.
                    if element.overflows && !value.isFinite { continue }
                    let levels = Double(
                        max(1, element.summands).bitWidth - (max(1, element.summands) - 1).leadingZeroBitCount)
                    let allowed =
                        8 * dtype.unitRoundoff * Double(element.errorScale)
                        + 2 * levels * dtype.accumulationType.unitRoundoff * Double(element.magnitude)
                        + Double(element.rangeSlack) + Double(max(1, element.summands)) * dtype.leastNonzeroMagnitude
                    #expect(abs(value - Double(element.value)) <= allowed, "\(call.input.shape) \(call.reduction)")
                }
            }
        }
    }

    @Test("Hand-computed exact values: loss, error scale, gradients")
    func handComputed() throws {
        // input 3, target 1, var 2 (float64): d = 2, loss = 0.5·(log 2 + 4/2) = 0.5·log 2 + 1.
        let call = LossCase(
            input: tensor([3], [1], .float64), target: tensor([1], [1], .float64),
            variance: .tensor(tensor([2], [1], .float64)), reduction: "none", gradOutput: tensor([1], [1], .float64))
        guard case .success(let loss, let gradients?, _) = Oracle.evaluate(call) else {
            Issue.record("expected a result")
            return
        }
        // 0.5·log 2 = 0.34657359027997265470861606072908828…, as a double and its remainder.
        let halfLog2 = ExactReal(0x1.62e42fefa39efp-2) + ExactReal(0x1.abc9e3b39803fp-57)
        #expect(abs(loss.elements[0].value - (halfLog2 + 1)) < 1e-18)
        #expect(abs(loss.elements[0].errorScale - (halfLog2 + 1)) < 1e-18)
        // d/dinput = d/v = 1; d/dtarget = −1; d/dvar = 0.5·(1/2 − 4/4) = −0.25.
        #expect(gradients.input?.elements[0].value == 1)
        #expect(gradients.target?.elements[0].value == -1)
        #expect(gradients.variance?.elements[0].value == -0.25)
        #expect(gradients.variance?.elements[0].errorScale == 0.75)
    }

    @Test("float16 overflow of an intermediate is flagged where the exact value is finite")
    func overflowFlag() throws {
        // d = 200: d² = 40000 is finite in float16 (max 65504), but d²/v² with v = 0.01 overflows.
        let half = { (value: Double) in tensor([value], [1], .float16) }
        let call = LossCase(
            input: half(200), target: half(0), variance: .tensor(half(0.01)), reduction: "sum",
            gradOutput: .scalar(1, dtype: .float16))
        guard case .success(_, let gradients?, _) = Oracle.evaluate(call) else {
            Issue.record("expected a result")
            return
        }
        #expect(gradients.variance?.elements[0].overflows == true)
        #expect(gradients.input?.elements[0].overflows == false)
    }
}
