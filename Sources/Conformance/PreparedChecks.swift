public import GaussianNLL

/// Checks built beforehand, as a source: for many runs that share them, such as golden checks read once and
/// replayed against many candidates.
public struct PreparedChecks: CheckSource {
    /// The prefix every id of these checks starts with, such as `golden.`.
    public var idPrefix: String
    /// The checks of each profile; a profile without an entry has none.
    public var checks: [Profile: [any ConformanceCheck]]

    public init(idPrefix: String, checks: [Profile: [any ConformanceCheck]]) {
        self.idPrefix = idPrefix
        self.checks = checks
    }

    public func ownsCheck(id: String) -> Bool { id.hasPrefix(idPrefix) }

    public func checks(for profile: Profile) -> [any ConformanceCheck] { checks[profile] ?? [] }
}
