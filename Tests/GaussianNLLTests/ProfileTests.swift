import Foundation
import GNLLTestSupport
import Testing

@testable import GaussianNLL

/// Accepted and rejected var shapes, and error precedence, per profile. The expectations are PyTorch's
/// behaviour as measured by running it (2.15.0 for torch-2.10, 2.9.1 for torch-2.6, 2.1.2 for torch-1.9)
/// and, for torch-1.8, as read from 1.8.0's source.
@Suite("Profiles")
struct ProfileTests {
    /// The outcome kind for a call with all-ones operands of the given shapes.
    func kind(
        _ profile: Profile, input: Shape, target: Shape? = nil, variance: Shape, reduction: String = "mean",
        negative: Bool = false
    ) -> RejectionKind? {
        let ones = { (shape: Shape) in try! Tensor.filled(1, dtype: .float32, shape: shape) }
        let varianceTensor = try! Tensor.filled(negative ? -1 : 1, dtype: .float32, shape: variance)
        let outcome = Reference.evaluate(
            LossCase(
                input: ones(input), target: ones(target ?? input), variance: .tensor(varianceTensor),
                reduction: reduction),
            profile: profile)
        return outcome.rejection?.kind
    }

    @Test("torch-1.9 and torch-2.6 accept var = input, input[:-1], input[:-1] + (1,) only")
    func classicVarianceForms() {
        for profile in [Profile.torch1_9, .torch2_6] {
            #expect(kind(profile, input: [10, 2, 3], variance: [10, 2, 3]) == nil)
            #expect(kind(profile, input: [10, 2, 3], variance: [10, 2]) == nil)
            #expect(kind(profile, input: [10, 2, 3], variance: [10, 2, 1]) == nil)
            #expect(kind(profile, input: [3, 4], variance: [1, 4]) == .varSize)
            #expect(kind(profile, input: [10, 2, 3], variance: [10, 2, 2]) == .varSize)
            #expect(kind(profile, input: [4, 3, 32, 32], variance: [4, 1, 32, 32]) == .varSize)
            #expect(kind(profile, input: [2, 3], variance: [3]) == .varSize)
            #expect(kind(profile, input: [2, 3], variance: []) == .varSize)
            #expect(kind(profile, input: [3], variance: []) == nil)
            #expect(kind(profile, input: [], variance: [1]) == nil)
        }
    }

    @Test("torch-2.10 accepts a same-rank var whose differing sizes sum to exactly 1")
    func sameRankRule() {
        #expect(kind(.torch2_10, input: [3, 4], variance: [1, 4]) == nil)
        #expect(kind(.torch2_10, input: [4, 3, 32, 32], variance: [4, 1, 32, 32]) == nil)
        #expect(kind(.torch2_10, input: [10, 2, 3], variance: [10, 2, 1]) == nil)
        #expect(kind(.torch2_10, input: [10, 2, 3], variance: [10, 2]) == nil)
        #expect(kind(.torch2_10, input: [4, 3, 2, 2], variance: [4, 3, 1, 1]) == .varSize)
        #expect(kind(.torch2_10, input: [3, 4], variance: [1, 1]) == .varSize)
        // (2,0,1) passes the check (0 + 1 = 1) and then fails to broadcast.
        #expect(kind(.torch2_10, input: [2, 3, 4], variance: [2, 0, 1]) == .broadcast)
        #expect(kind(.torch2_10, input: [], variance: [1]) == .varSize)
        #expect(kind(.torch2_10, input: [2, 3], variance: []) == .varSize)
        #expect(kind(.torch2_10, input: [3], variance: []) == nil)
    }

    @Test("(2,0,1) for (2,3,4) in torch-2.10 fails with PyTorch's broadcast message")
    func zeroSizeQuirkMessage() {
        let ones = { (shape: Shape) in try! Tensor.filled(1, dtype: .float32, shape: shape) }
        let outcome = Reference.evaluate(
            LossCase(input: ones([2, 3, 4]), target: ones([2, 3, 4]), variance: .tensor(ones([2, 0, 1]))),
            profile: .torch2_10)
        // torch 2.15.0: RuntimeError: The size of tensor a (3) must match the size of tensor b (0) at
        // non-singleton dimension 1
        #expect(outcome.rejection?.exceptionType == "RuntimeError")
        #expect(
            outcome.rejection?.message
                == "The size of tensor a (3) must match the size of tensor b (0) at non-singleton dimension 1")
    }

    @Test("torch-1.8 views everything as (N, -1): var's second dim is input's or 1")
    func perSampleForms() throws {
        #expect(kind(.torch1_8, input: [4, 3], variance: [4, 3]) == nil)
        #expect(kind(.torch1_8, input: [4, 3], variance: [4, 1]) == nil)
        #expect(kind(.torch1_8, input: [4, 3], variance: [4]) == nil)
        #expect(kind(.torch1_8, input: [2, 3, 4], variance: [2, 12]) == nil)
        #expect(kind(.torch1_8, input: [4, 3], variance: [4, 2]) == .varSize)
        #expect(kind(.torch1_8, input: [4, 3], variance: [2]) == .varSize)
        #expect(kind(.torch1_8, input: [4, 3], target: [4, 1], variance: [4, 3]) == .targetSize)
        let loss = try #require(
            Reference.evaluate(
                LossCase(
                    input: .filled(1, dtype: .float32, shape: [4, 3]),
                    target: .filled(0, dtype: .float32, shape: [4, 3]),
                    variance: .tensor(.filled(1, dtype: .float32, shape: [4, 1])), full: true, reduction: "none"),
                profile: .torch1_8
            ).result?.loss)
        // 'none' gives per-sample sums: 3 · 0.5 · (0 + 1) plus 0.5 · 3 · log(2π) per sample.
        #expect(loss.shape == [4])
        #expect(close(loss.values[0], 1.5 + 1.5 * 1.8378770664093453))
    }

    @Test("A scalar var: rejected as a float before 2.6, var·ones_like(input) from 2.6 on")
    func scalarVariance() throws {
        let input = tensor([1, 2])
        let target = tensor([0, 0])
        let make = { (value: Double) in
            LossCase(input: input, target: target, variance: .scalar(value), reduction: "sum")
        }
        #expect(
            Reference.evaluate(make(1), profile: .torch1_9).rejection?.message
                == "'float' object has no attribute 'size'")
        #expect(
            Reference.evaluate(make(1), profile: .torch1_8).rejection?.message
                == "'float' object has no attribute 'view'")
        #expect(Reference.evaluate(make(1), profile: .torch1_9).rejection?.kind == .type)
        #expect(Reference.evaluate(make(-1), profile: .torch2_6).rejection?.kind == .negativeVar)
        let result = try #require(Reference.evaluate(make(4), profile: .torch2_10).result)
        // 0.5·(log 4 + 1/4) + 0.5·(log 4 + 4/4)
        #expect(close(result.loss.values[0], 1.3862943611198906 + 0.625))
        var withGradients = make(4)
        withGradients.gradOutput = .scalar(1, dtype: .float32)
        let gradients = try #require(Reference.evaluate(withGradients, profile: .torch2_10).result?.gradients)
        #expect(gradients.variance == nil)
        #expect(gradients.input?.values == [0.25, 0.5])
    }

    @Test("Error precedence for calls that break two rules at once")
    func precedence() {
        // torch-1.8: target size, var size, reduction, negative var.
        #expect(kind(.torch1_8, input: [4, 3], target: [4, 2], variance: [4, 2]) == .targetSize)
        #expect(kind(.torch1_8, input: [4, 3], variance: [4, 2], reduction: "avg") == .varSize)
        #expect(kind(.torch1_8, input: [4, 3], variance: [4, 3], reduction: "avg", negative: true) == .reduction)
        // torch-1.9: var size, reduction, negative var.
        #expect(kind(.torch1_9, input: [3, 4], variance: [3, 2], reduction: "avg") == .varSize)
        #expect(kind(.torch1_9, input: [3, 4], variance: [3, 2], negative: true) == .varSize)
        #expect(kind(.torch1_9, input: [3, 4], variance: [3, 4], reduction: "avg", negative: true) == .reduction)
        // torch-2.6 and 2.10: negative var, var size, reduction; broadcasting only after all checks.
        for profile in [Profile.torch2_6, .torch2_10] {
            #expect(kind(profile, input: [3, 4], variance: [3, 2], negative: true) == .negativeVar)
            #expect(kind(profile, input: [3, 4], variance: [3, 4], reduction: "avg", negative: true) == .negativeVar)
            #expect(kind(profile, input: [3, 4], variance: [3, 2], reduction: "avg") == .varSize)
            #expect(kind(profile, input: [3, 4], target: [3, 5], variance: [3, 4], reduction: "avg") == .reduction)
            #expect(kind(profile, input: [3, 4], target: [3, 5], variance: [3, 4]) == .broadcast)
        }
    }

    @Test("NaN and -0.0 in var are not negative")
    func notNegative() {
        let outcome = Reference.evaluate(
            call(tensor([1, 1]), tensor([0, 0]), tensor([.nan, -0.0]), reduction: "none"))
        let loss = outcome.result?.loss.values ?? []
        #expect(loss.count == 2 && loss[0].isNaN)
        // -0.0 is clamped to eps = 1e-6 (float32): 0.5·(log eps + 1/eps).
        #expect(close(loss[1], 0.5 * (Double(Float(1e-6)).logValue + 1 / Double(Float(1e-6))), ulps: 4))
    }

    @Test("Version strings map to profiles")
    func versions() {
        #expect(Profile(torchVersion: "2.15.0") == .torch2_10)
        #expect(Profile(torchVersion: "2.9.1+cpu") == .torch2_6)
        #expect(Profile(torchVersion: "2.1.2") == .torch1_9)
        #expect(Profile(torchVersion: "1.8.0") == .torch1_8)
        #expect(Profile(torchVersion: "1.7.1") == nil)
        #expect(Profile(torchVersion: "nonsense") == nil)
    }
}

extension Double {
    fileprivate var logValue: Double { Foundation.log(self) }
}
