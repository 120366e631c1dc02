import GaussianNLL
import Mutants
import Testing

/// The mutants of protocol 2's calls, on hand-made cases whose PyTorch outcome is known (Tools/facts: torch
/// 2.15.0, 2.9.1 and 2.1.2): each differs from the reference exactly where its summary says.
@Suite("Protocol 2 mutants")
struct Protocol2MutantTests {
    static func tensor(_ values: [Double], _ dtype: DType = .float32, _ shape: Shape? = nil) throws -> Tensor {
        try Tensor(dtype: dtype, shape: shape ?? [values.count], values: values)
    }

    /// input [1], target [0], var [2], 'none'.
    static func call(eps: Double) throws -> LossCase {
        LossCase(
            input: try tensor([1]), target: try tensor([0]), variance: .tensor(try tensor([2])), eps: eps,
            reduction: "none")
    }

    /// 0.5·(log 2 + 1/2) in float32, as torch 2.15.0 computes it (d = ±1, var 2; Protocol2SemanticsTests).
    static let unclamped = 0.5965735912322998

    @Test("eps = NaN: every element NaN under torch-2.10; the mutant leaves var unclamped, as torch 2.9 does")
    func nanEps() throws {
        let call = try Self.call(eps: .nan)
        #expect(Reference.evaluate(call, profile: .torch2_10).result?.loss.values.first?.isNaN == true)
        #expect(Mutant.nanEpsUnclamped.evaluate(call, profile: .torch2_10).result?.loss.values == [Self.unclamped])
        #expect(Reference.evaluate(call, profile: .torch2_6).result?.loss.values == [Self.unclamped])
        #expect(Mutant.nanEpsUnclamped.profiles == [.torch2_10])
    }

    @Test("eps = +inf raises var to +inf (loss inf); the mutant does not clamp")
    func infiniteEps() throws {
        let call = try Self.call(eps: .infinity)
        for profile in Profile.allCases {
            #expect(Reference.evaluate(call, profile: profile).result?.loss.values == [.infinity])
            #expect(
                Mutant.infiniteEpsUnclamped.evaluate(call, profile: profile).result?.loss.values == [Self.unclamped])
        }
    }

    /// input [1, -2], target [0, 1], var [2, 4], 'sum', grad_output 1, with the given operands requiring grad.
    static func gradientCall(_ requiresGrad: RequiresGrad) throws -> LossCase {
        LossCase(
            input: try tensor([1, -2]), target: try tensor([0, 1]), variance: .tensor(try tensor([2, 4])),
            reduction: "sum", gradOutput: .scalar(1, dtype: .float32), requiresGrad: requiresGrad)
    }

    @Test("input's gradient is d/var = [0.5, -0.75] whoever else requires grad; the mutant doubles it without target")
    func inputGradientDoubled() throws {
        let call = try Self.gradientCall(RequiresGrad(input: true, target: false, variance: true))
        let reference = try #require(Reference.evaluate(call).result?.gradients)
        #expect(reference.input?.values == [0.5, -0.75])
        #expect(reference.target == nil)
        let mutant = try #require(
            Mutant.inputGradientDoubledWithoutTargetGrad.evaluate(call, profile: .torch2_10).result)
        #expect(mutant.gradients?.input?.values == [1, -1.5])
        // With target requiring grad it is right.
        let all = try Self.gradientCall(.all)
        #expect(
            Mutant.inputGradientDoubledWithoutTargetGrad.evaluate(all, profile: .torch2_10).result?.gradients?.input?
                .values == [0.5, -0.75])
    }

    @Test("Gradients are present exactly for the operands that require grad; the mutant returns all three")
    func gradientsForEveryOperand() throws {
        let call = try Self.gradientCall(RequiresGrad(input: true, target: false, variance: false))
        #expect(
            Reference.evaluate(call).result?.gradients?.present
                == RequiresGrad(input: true, target: false, variance: false))
        let mutant = Mutant.gradientsForEveryOperand.evaluate(call, profile: .torch2_10).result?.gradients
        #expect(mutant?.present == .all)
        // grad_target = −grad_input; grad_var = 0.5·(1/var − d²/var²) = [0.125, −0.15625].
        #expect(mutant?.target?.values == [-0.5, 0.75])
        #expect(mutant?.variance?.values == [0.125, -0.15625])
    }

    @Test("A broadcast target's gradient that cancels exactly is +0.0; the mutant gives −0.0")
    func zeroSign() throws {
        // torch 2.15.0: input [3, 1] float32, target 0-d 2, var ones, 'sum': grad_target +0.0.
        let call = LossCase(
            input: try Self.tensor([3, 1]), target: .scalar(2, dtype: .float32),
            variance: .tensor(try Self.tensor([1, 1])), reduction: "sum", gradOutput: .scalar(1, dtype: .float32))
        let reference = try #require(Reference.evaluate(call).result?.gradients?.target?.values)
        #expect(reference == [0] && reference[0].sign == .plus)
        let mutant = try #require(
            Mutant.targetGradientSummedThenNegated.evaluate(call, profile: .torch2_10).result?.gradients?.target?.values
        )
        #expect(mutant == [0] && mutant[0].sign == .minus)
        #expect(!Mutant.targetGradientSummedThenNegated.profiles.contains(.torch1_8))
    }

    @Test("An int32 var fails at the clamp (type); the mutant computes with it as float32")
    func integerVariance() throws {
        let call = LossCase(
            input: try Self.tensor([1]), target: try Self.tensor([0]), variance: .tensor(try Self.tensor([2], .int32)),
            reduction: "none")
        #expect(Reference.evaluate(call).rejection?.kind == .type)
        #expect(
            Mutant.integerVarianceAccepted.evaluate(call, profile: .torch2_10).result?.loss.values == [Self.unclamped])
    }

    @Test("int32 50000 − 0 squared wraps to −1794967296 (loss −897483648); the mutant squares in float32")
    func integerDifference() throws {
        let call = LossCase(
            input: try Self.tensor([50000], .int32), target: try Self.tensor([0], .int32),
            variance: .tensor(try Self.tensor([1])), reduction: "none")
        #expect(Reference.evaluate(call).result?.loss.values == [-897_483_648])
        #expect(Mutant.integerDifferenceInFloat.evaluate(call, profile: .torch2_10).result?.loss.values == [1.25e9])
    }
}
