import GaussianNLL
import Testing

/// The generator and its conversions, against values computed by a reference implementation in Python
/// (the algorithm as Steele, Lea and Flood publish it, with Lemire's multiply-and-reject).
@Suite("SplitMix64 and FNV-1a")
struct RandomnessTests {
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

    @Test("The standard-library adapter hands out the same 64-bit words")
    func adapter() {
        var generator = SeededRandomNumberGenerator(seed: 1)
        #expect(generator.next() == 0x910A_2DEC_8902_5CC1)
    }

    @Test("FNV-1a gives the published hashes")
    func fnv1a() {
        #expect(FNV1a.hash("") == 0xCBF2_9CE4_8422_2325)
        #expect(FNV1a.hash("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(FNV1a.hash("foobar") == 0x8594_4171_F739_67E8)
        #expect(FNV1a.hash(bytes: Array("foobar".utf8)) == FNV1a.hash("foobar"))
    }
}
