import Conformance
import Fuzzing
import GaussianNLL
import Testing

@Suite("Mutations")
struct MutationTests {
    @Test("One seed gives the same mutations; another seed gives others")
    func deterministic() {
        func run(seed: UInt64) -> [(CaseRecord, [Mutation])] {
            let mutator = CaseMutator(profile: .torch2_10)
            var random = SplitMix64(seed: seed)
            var call = SeedCases.all()[3]
            var trail = [(CaseRecord, [Mutation])]()
            for _ in 0..<400 {
                let (mutated, applied) = mutator.mutate(call, random: &random)
                trail.append((CaseRecord(mutated), applied))
                call = mutated
            }
            return trail
        }
        let first = run(seed: 42)
        let again = run(seed: 42)
        #expect(first.map(\.0) == again.map(\.0))
        #expect(first.map(\.1) == again.map(\.1))
        #expect(run(seed: 43).map(\.0) != first.map(\.0))
    }

    @Test("The random source is SplitMix64, the same on every machine")
    func randomSource() {
        var random = SplitMix64(seed: 1)
        #expect(random.next() == 0x910A_2DEC_8902_5CC1)
        #expect((0..<1000).allSatisfy { _ in (0..<7).contains(random.integer(below: 7)) })
    }

    @Test(
        "Every mutation keeps a call small, sendable and with a grad_output of the loss's shape and dtype",
        arguments: Mutation.allCases)
    func invariants(_ mutation: Mutation) {
        for profile in Profile.allCases {
            let mutator = CaseMutator(profile: profile, maximumOperandElements: 64, maximumElements: 512)
            var random = SplitMix64(seed: 9)
            for seed in SeedCases.all() {
                guard var call = mutator.normalized(seed) else { continue }
                for _ in 0..<20 {
                    guard let mutated = mutator.apply(mutation, to: call, random: &random) else { continue }
                    call = mutated
                    let operands = [call.input, call.target] + (call.variance.tensor.map { [$0] } ?? [])
                    #expect(operands.allSatisfy { $0.elementCount <= 64 })
                    #expect(call.eps.isFinite)
                    if case .scalar(let value) = call.variance { #expect(value.isFinite) }
                    guard let gradOutput = call.gradOutput else { continue }
                    var plain = call
                    plain.gradOutput = nil
                    if case .success(let result) = Reference.evaluate(plain, profile: profile) {
                        #expect(gradOutput.shape == result.loss.shape)
                        #expect(gradOutput.dtype == result.loss.dtype)
                    }
                }
            }
        }
    }

    @Test("Mutations reach NaN payloads, subnormals, signed zeros, empty extents, invalid reductions and odd eps")
    func reach() {
        let mutator = CaseMutator(profile: .torch2_10)
        var random = SplitMix64(seed: 5)
        var call = SeedCases.all()[0]
        var sawNaN = false
        var sawSubnormal = false
        var sawNegativeZero = false
        var sawEmpty = false
        var sawInvalidReduction = false
        var sawOddEps = false
        for _ in 0..<5000 {
            call = mutator.mutate(call, random: &random).call
            let values = call.input.values + call.target.values + (call.variance.tensor?.values ?? [])
            sawNaN =
                sawNaN || values.contains { $0.isNaN && $0.bitPattern & 0x000F_FFFF_FFFF_FFFF != 0x0008_0000_0000_0000 }
            sawSubnormal =
                sawSubnormal || values.contains { $0 != 0 && abs($0) < call.input.dtype.leastNormalMagnitude }
            sawNegativeZero = sawNegativeZero || values.contains { $0 == 0 && $0.sign == .minus }
            sawEmpty = sawEmpty || call.input.elementCount == 0
            sawInvalidReduction = sawInvalidReduction || Reduction(rawValue: call.reduction) == nil
            sawOddEps = sawOddEps || call.eps <= 0 || call.eps > 1
        }
        #expect(sawNaN && sawSubnormal && sawNegativeZero && sawEmpty && sawInvalidReduction && sawOddEps)
    }

    @Test("Neighbours in a dtype, and NaNs with payloads")
    func dtypeValues() {
        #expect(DType.float16.nextUp(1) == 1 + 0x1p-10)
        #expect(DType.bfloat16.nextUp(1) == 1 + 0x1p-7)
        #expect(DType.float32.nextDown(1) == 1 - 0x1p-24)
        #expect(DType.float64.nextUp(0) == .leastNonzeroMagnitude)
        #expect(DType.bfloat16.nextUp(0) == DType.bfloat16.leastNonzeroMagnitude)
        #expect(DType.bfloat16.nextUp(-DType.bfloat16.leastNonzeroMagnitude) == 0)
        #expect(DType.float16.nextUp(DType.float16.greatestFiniteMagnitude) == .infinity)
        for dtype in DType.floatingCases {
            let nan = dtype.nan(payload: 0x5, negative: true)
            #expect(nan.isNaN && nan.sign == .minus)
            #expect(dtype.round(nan).isNaN)
            let bits = dtype.bitPattern(of: 1.5)
            #expect(dtype.value(bitPattern: bits) == 1.5)
        }
    }

    @Test("Operand forms are classified from the most specific to the least")
    func forms() {
        let input: Shape = [3, 2]
        #expect(OperandForm.of([3, 2], input: input) == .same)
        #expect(OperandForm.of([3], input: input) == .droppedLast)
        #expect(OperandForm.of([3, 1], input: input) == .unsqueezed)
        #expect(OperandForm.of([1, 2], input: input) == .ones)
        #expect(OperandForm.of([2], input: input) == .suffix)
        #expect(OperandForm.of([], input: input) == .zeroDimensional)
        #expect(OperandForm.of([4, 4], input: input) == .other)
        #expect(OperandForm.of(.scalar(1), input: input) == .scalar)
    }

    @Test("Seeds are valid calls in every dtype and every var form")
    func seeds() {
        let seeds = SeedCases.all()
        #expect(Set(seeds.map(\.input.dtype)) == Set(DType.floatingCases))
        let forms = Set(seeds.map { OperandForm.of($0.variance, input: $0.input.shape) })
        #expect(forms.isSuperset(of: [.same, .droppedLast, .unsqueezed, .ones, .zeroDimensional, .scalar]))
        for seed in seeds {
            let profile: Profile = .torch2_10
            guard case .success = Reference.evaluate(seed, profile: profile) else {
                Issue.record("a seed is rejected under \(profile): \(CaseRecord(seed))")
                continue
            }
        }
    }
}
