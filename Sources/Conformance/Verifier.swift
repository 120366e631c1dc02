internal import GaussianNLL

/// Runs checks against a candidate and collects a report.
public struct Verifier: Sendable {
    public var checks: [any ConformanceCheck]

    public init(checks: [any ConformanceCheck]) {
        self.checks = checks
    }

    /// Runs every check in order; `progress` sees each result as it lands, and `shouldStop` is asked
    /// between checks (an interrupted run is marked incomplete).
    public func run(
        in context: CheckContext, budget: String, progress: (VerifyReport) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) -> VerifyReport {
        var report = VerifyReport(
            candidate: context.candidate.info, profile: context.profile, seed: context.seed, budget: budget)
        for check in checks {
            if shouldStop() {
                report.incomplete = true
                break
            }
            report.append(check.run(in: context))
            progress(report)
        }
        return report
    }
}
