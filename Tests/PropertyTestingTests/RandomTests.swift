import Conformance
import GaussianNLL
import Testing

@testable import PropertyTesting

/// Case seeds and choice sources (SplitMix64 and FNV-1a themselves are tested in GaussianNLLTests).
@Suite("Case seeds and choice sources")
struct RandomTests {
    @Test("Case seeds depend only on the seed, the check (by its FNV-1a hash) and the index")
    func caseSeeds() {
        #expect(
            SplitMix64.caseSeed(runSeed: 1, checkID: "property.random.oracle", caseIndex: 0) == 0x91BA_08F1_171F_C118)
        #expect(
            SplitMix64.caseSeed(runSeed: 1, checkID: "property.random.oracle", caseIndex: 1) == 0xF442_A0C4_A4FB_8525)
    }

    @Test("A replayed choice sequence rebuilds the same case; past its end every choice is 0")
    func replay() {
        let environment = GenerationEnvironment.everything(.torch2_10)
        for seed in 0..<50 as Range<UInt64> {
            var fresh = ChoiceSource(seed: seed)
            let drawn = fresh.call(.standard, environment)
            var replay = ChoiceSource(replaying: fresh.choices)
            let replayed = replay.call(.standard, environment)
            // Described rather than compared: a NaN eps or Python-float var is not equal to itself.
            #expect(String(describing: CaseRecord(replayed)) == String(describing: CaseRecord(drawn)))
            #expect(replay.choices == fresh.choices)
        }
        var empty = ChoiceSource(replaying: [])
        let choice = empty.choice(below: 10)
        let integer = empty.int(in: 3...9)
        let chance = empty.chance(0.99)
        #expect(choice == 0 && integer == 3 && !chance)
        var clamped = ChoiceSource(replaying: [100])
        let last = clamped.choice(below: 10)
        #expect(last == 9)
    }

    @Test("The simplest choices give the defaults: float32, 1e-6, mean, full off, no gradients")
    func defaults() {
        var source = ChoiceSource(replaying: [])
        let call = source.call(.standard, .everything(.torch2_10))
        #expect(call.input.dtype == .float32)
        #expect(call.input.shape == [])
        #expect(call.eps == 1e-6)
        #expect(call.reduction == "mean")
        #expect(!call.full)
        #expect(call.gradOutput == nil)
        #expect(call.input.values == [0])
    }
}
