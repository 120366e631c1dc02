/// SplitMix64, the one portable pseudo-random generator of the package (Steele, Lea and Flood, 2014).
///
/// Property cases, fuzz mutations, benchmark data and the tests' random cases all draw from it. Every
/// conversion is defined here in integer arithmetic, so that a seed gives the same sequence on every machine
/// and every Swift version. It deliberately does not conform to `RandomNumberGenerator`: the standard
/// library's `random(in:using:)` may change its algorithm (``SeededRandomNumberGenerator`` is the adapter
/// for the tests that draw through it anyway).
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

    /// A generator whose state starts at `seed`; its first output mixes `seed` plus the golden-ratio increment.
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
}

/// ``SplitMix64`` as a standard-library `RandomNumberGenerator`, for tests that draw through
/// `random(in:using:)`.
///
/// The bits are SplitMix64's; the conversions to integers and doubles are the standard library's, which may
/// change between Swift versions, so nothing that must replay across versions (property cases, fuzz
/// mutations, benchmark data) draws through it.
package struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    /// The generator behind it.
    package var splitMix: SplitMix64

    /// A generator seeded like `SplitMix64(seed:)`.
    package init(seed: UInt64) {
        splitMix = SplitMix64(seed: seed)
    }

    /// The next 64 random bits of the SplitMix64 sequence.
    package mutating func next() -> UInt64 {
        splitMix.next()
    }
}
