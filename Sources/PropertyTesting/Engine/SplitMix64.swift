/// SplitMix64, a small portable pseudo-random generator (Steele, Lea and Flood, 2014).
///
/// Every conversion this module uses is defined here, in integer arithmetic, so that a seed gives the same
/// sequence of cases on every machine and every Swift version. It deliberately does not conform to
/// `RandomNumberGenerator`: the standard library's `random(in:using:)` may change its algorithm.
///
/// ```swift
/// var generator = SplitMix64(seed: 1)
/// generator.next()          // 0x910A_2DEC_8902_5CC1
/// generator.below(10)       // an integer in 0..<10
/// generator.unitInterval()  // a double in [0, 1)
/// ```
public struct SplitMix64: Sendable, Hashable {
    /// The generator's whole state.
    public var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// SplitMix64's output function: a bijective avalanche of 64 bits.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-and-reject method; `bound` must be positive.
    @inlinable
    public mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "below(0) has no value")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// The FNV-1a hash of a string's UTF-8 bytes: a portable way to turn a check id into a seed.
    public static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The seed of one case of one check: independent of every other check, so that `--check ID` replays
    /// exactly the cases a full run drew.
    public static func caseSeed(runSeed: UInt64, checkID: String, caseIndex: Int) -> UInt64 {
        mix(mix(runSeed ^ hash(checkID)) &+ UInt64(truncatingIfNeeded: caseIndex))
    }
}
