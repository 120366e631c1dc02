import Conformance
import GaussianNLL
import Testing

@testable import PropertyTesting

/// The generator and its conversions, against values computed by a reference implementation in Python
/// (the algorithm as Steele, Lea and Flood publish it, with Lemire's multiply-and-reject).
@Suite("SplitMix64 and choice sources")
struct RandomTests {
    @Test("SplitMix64 gives the published sequence")
    func splitMixSequence() {
        var one = SplitMix64(seed: 1)
        #expect(
            (0..<4).map { _ in one.next() } == [
                0x910A_2DEC_8902_5CC1, 0xBEEB_8DA1_658E_EC67, 0xF893_A2EE_FB32_555E, 0x71C1_8690_EE42_C90B,
            ])
        var zero = SplitMix64(seed: 0)
        #expect(
            (0..<3).map { _ in zero.next() } == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    @Test("Integer and double conversions are fixed")
    func conversions() {
        var integers = SplitMix64(seed: 42)
        #expect((0..<10).map { _ in integers.below(10) } == [7, 1, 2, 3, 0, 8, 2, 8, 3, 6])
        var doubles = SplitMix64(seed: 42)
        #expect(
            (0..<3).map { _ in doubles.unitInterval() } == [
                0.7415648787718233, 0.1599103928769201, 0.27860113025513866,
            ])
    }

    @Test("Check ids hash with FNV-1a, and case seeds depend only on the seed, the check and the index")
    func caseSeeds() {
        #expect(SplitMix64.hash("") == 0xCBF2_9CE4_8422_2325)
        #expect(SplitMix64.hash("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(SplitMix64.hash("foobar") == 0x8594_4171_F739_67E8)
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
            #expect(CaseRecord(replayed) == CaseRecord(drawn))
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
