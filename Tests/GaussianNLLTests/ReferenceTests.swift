import Foundation
import GNLLTestSupport
import Testing

@testable import GaussianNLL

/// Values printed by real PyTorch 2.15.0 (CPU) for the same calls; torch prints 4 decimals, so the
/// comparisons allow for that rounding where the printed value is not exact.
@Suite("Reference against PyTorch 2.15.0 outputs")
struct ReferenceTests {
    @Test("Homoscedastic var and broadcast target, 'none', arange grad_output")
    func homoscedasticBroadcast() throws {
        let input = tensor([1, 2, 3, 4], [2, 2])
        let gradOutput = tensor([1, 2, 3, 4], [2, 2])
        let outcome = Reference.evaluate(
            call(input, tensor([0.5, 1.0]), tensor([0.5, 2.0]), reduction: "none", gradOutput: gradOutput))
        let result = try #require(outcome.result)
        #expect(result.loss.shape == [2, 2])
        // torch: [[-0.0966, 0.6534], [1.9091, 2.5966]]
        #expect(zip(result.loss.values, [-0.0966, 0.6534, 1.9091, 2.5966]).allSatisfy { abs($0 - $1) < 5e-5 })
        let gradients = try #require(result.gradients)
        #expect(gradients.input?.values == [1, 4, 3.75, 6])
        #expect(gradients.target?.values == [-4.75, -10])
        #expect(gradients.target?.shape == [2])
        // torch: [-1.5000, -5.0938]. By hand: var (2,) is unsqueezed to (2, 1), so var[0] = 0.5 serves row 0,
        // where d = 0.5, 1 and g = 1, 2: 0.5·1·(2 − 1) + 0.5·2·(2 − 4) = −1.5.
        #expect(close(gradients.variance!.values[0], -1.5))
        #expect(close(gradients.variance!.values[1], -5.09375))
    }

    @Test("'mean' divides by the broadcast output's count, larger than the input")
    func meanOverLargerOutput() throws {
        let input = tensor([1, 2], [2, 1])
        let target = tensor([0, 1, 2, 3, 4, 0, 1, 2, 3, 4], [2, 5])
        let variance = tensor([1, 4], [2, 1])
        let outcome = Reference.evaluate(
            call(input, target, variance, full: true, gradOutput: .scalar(1, dtype: .float32)))
        let result = try #require(outcome.result)
        #expect(result.loss.shape == [])
        // By hand: Σ over 10 elements of 0.5·(log v + d²/v) + 0.5·log 2π, divided by 10.
        let row0 = [1.0, 0, 1, 4, 9].map { 0.5 * $0 }.reduce(0, +)
        let row1 = [4.0, 1, 0, 1, 4].map { 0.5 * (log(4) + $0 / 4) }.reduce(0, +)
        let expected = (row0 + row1) / 10 + 0.5 * log(2 * Double.pi)
        #expect(close(result.loss.values[0], expected))
        #expect(abs(result.loss.values[0] - 2.1405) < 5e-5)  // torch 2.15.0: 2.1405
        let gradients = try #require(result.gradients)
        // torch: [[-0.5], [0.0]]. The second is a sum of ±terms that cancel exactly in real arithmetic;
        // float32 summation order decides whether a residue of a few ulps of 0.05 remains.
        #expect(gradients.input?.values[0] == -0.5)
        #expect(abs(try #require(gradients.input).values[1]) <= 4 * DType.float32.unitRoundoff * 0.15)
        #expect(close(gradients.variance!.values, [-0.5, 0.03125]))  // torch: [[-0.5], [0.0312]]
        #expect(close(try #require(gradients.target).values, [-0.1, 0, 0.1, 0.2, 0.3, -0.05, -0.025, 0, 0.025, 0.05]))
    }

    @Test("The var gradient under the clamp is the formula at eps, not 0: 37.5")
    func gradientUnderClamp() throws {
        let outcome = Reference.evaluate(
            call(
                tensor([0], [1], .float64), tensor([0.05], [1], .float64), tensor([1e-4], [1], .float64), eps: 1e-2,
                reduction: "sum",
                gradOutput: .scalar(1, dtype: .float64)))
        let gradient = try #require(outcome.result?.gradients?.variance)
        // 0.5·(1/0.01 − 0.0025/0.0001) = 0.5·(100 − 25) = 37.5; torch 2.15.0 prints 37.5000.
        #expect(close(gradient.values[0], 37.5, dtype: .float64, ulps: 8))
    }

    @Test("float16, var = 0 and the default eps: the clamp gives a subnormal and the loss is inf")
    func float16ZeroVariance() throws {
        let half = { (values: [Double]) in tensor(values, [1], .float16) }
        let outcome = Reference.evaluate(
            call(half([1]), half([0]), half([0]), reduction: "sum", gradOutput: .scalar(1, dtype: .float16)))
        let result = try #require(outcome.result)
        // torch 2.15.0: loss inf, grad_input inf, grad_target -inf, grad_var nan (all float16).
        #expect(result.loss.values == [.infinity])
        #expect(result.loss.dtype == .float16)
        #expect(result.gradients?.input?.values == [.infinity])
        #expect(result.gradients?.target?.values == [-.infinity])
        #expect(result.gradients?.variance?.values[0].isNaN == true)
    }

    @Test("-0.0 with eps = 0 stays -0.0: log gives -inf, d²/-0.0 gives -inf; 0/-0.0 is NaN")
    func negativeZeroVariance() throws {
        let outcome = Reference.evaluate(
            call(
                tensor([1, 0]), tensor([0, 0]), tensor([-0.0, -0.0]), eps: 0, reduction: "none",
                gradOutput: tensor([1, 2])))
        let result = try #require(outcome.result)
        // torch 2.15.0: loss [-inf, nan], grad_input [-inf, nan], grad_target [inf, nan], grad_var [-inf, nan].
        #expect(result.loss.values[0] == -.infinity && result.loss.values[1].isNaN)
        #expect(result.gradients?.input?.values[0] == -.infinity)
        #expect(result.gradients?.target?.values[0] == .infinity)
        #expect(result.gradients?.variance?.values[0] == -.infinity)
        #expect(result.gradients?.variance?.values[1].isNaN == true)
    }

    @Test("A (3,) var on a (3,3) input applies per row")
    func squareInputPerRow() throws {
        let input = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3])
        let outcome = Reference.evaluate(
            call(input, try .filled(0, dtype: .float32, shape: [3, 3]), tensor([1, 2, 4]), reduction: "none"))
        let loss = try #require(outcome.result?.loss)
        // torch 2.15.0: [[0.5, 2, 4.5], [4.3466, 6.5966, 9.3466], [6.8181, 8.6931, 10.8181]]
        let expected = [0.5, 2, 4.5, 4.3466, 6.5966, 9.3466, 6.8181, 8.6931, 10.8181]
        #expect(zip(loss.values, expected).allSatisfy { abs($0 - $1) < 5e-5 })
    }

    @Test("A 0-d float64 var that lost the promotion divides float16 in float32, unrounded")
    func zeroDimensionalDivisor() throws {
        // torch 2.15.0: gaussian_nll_loss(tensor(0., float32), tensor([0.125, 0.0078125], float16),
        // tensor(1e-6, float64), reduction='none') = [7804.0, 23.609375]; with var rounded to float16 first
        // it would be [7704.0, 23.21875].
        let input = tensor([0], [], .float32)
        let target = tensor([0.125, 0.0078125], [2], .float16)
        let variance = tensor([1e-6], [], .float64)
        let result = try #require(Reference.evaluate(call(input, target, variance, reduction: "none")).result)
        #expect(result.loss.dtype == .float16)
        #expect(result.loss.values == [7804, 23.609375])
    }
}

@Suite("DType limits")
struct DTypeLimitTests {
    @Test("The written-out 16-bit limits are the formats' own")
    func sixteenBitLimits() {
        #expect(DType.float16.greatestFiniteMagnitude == Double(Float16.greatestFiniteMagnitude))
        #expect(DType.float16.leastNormalMagnitude == Double(Float16.leastNormalMagnitude))
        #expect(DType.float16.leastNonzeroMagnitude == Double(Float16.leastNonzeroMagnitude))
        // bfloat16 is float32's top half: the largest finite value keeps 7 significand bits.
        #expect(DType.bfloat16.greatestFiniteMagnitude == Double(Float(bitPattern: 0x7F7F_0000)))
        #expect(DType.bfloat16.leastNonzeroMagnitude == Double(Float(bitPattern: 0x0001_0000)))
        #expect(DType.bfloat16.leastNormalMagnitude == Double(Float.leastNormalMagnitude))
    }
}
