import Conformance
import GaussianNLL
import Judge

@testable import PropertyTesting

/// A context for a candidate under a profile.
func context(
    _ candidate: any Candidate, profile: Profile, seed: UInt64 = 1, cases: Int = Budget.default.casesPerProperty
) -> CheckContext {
    CheckContext(
        candidate: candidate, profile: profile, seed: seed, casesPerProperty: cases,
        reproduction: { "gnll verify --seed \(seed) --check \($0)" })
}
