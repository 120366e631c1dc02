public import GaussianNLL

extension SplitMix64 {
    /// The seed of one case of one check: independent of every other check, so that `--check ID` replays
    /// exactly the cases a full run drew.
    public static func caseSeed(runSeed: UInt64, checkID: String, caseIndex: Int) -> UInt64 {
        mix(mix(runSeed ^ FNV1a.hash(checkID)) &+ UInt64(truncatingIfNeeded: caseIndex))
    }
}
