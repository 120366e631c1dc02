public import GaussianNLL

/// Where checks come from, beside the property tester: golden files, or a user's own checks.
///
/// A run asks a source for its checks only when the run's selection may include one of them
/// (``ownsCheck(id:)``), so that a property-only run never reads a golden file.
public protocol CheckSource: Sendable {
    /// Whether `id` is of the form this source's ids take (for example `golden.…`), without building checks.
    func ownsCheck(id: String) -> Bool
    /// The checks for a profile, in run order.
    func checks(for profile: Profile) throws -> [any ConformanceCheck]
}
