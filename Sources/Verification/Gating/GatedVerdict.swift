public import Conformance

/// How one check counts toward the verdict, once an expected-failure list is applied.
public enum Disposition: String, Sendable, CaseIterable, Codable {
    case passed
    /// Failed, and not listed.
    case failed
    /// Failed, and listed in the expected failures: it does not fail the verdict.
    case expectedFailure = "expected-failure"
    /// Passed, but listed in the expected failures: the list is stale, which fails the verdict.
    case staleExpectedFailure = "stale-expected-failure"
    /// Not run: no case was judged (each needed a dtype or feature the candidate does not declare, or could not
    /// be sent), and the check is not listed. A check that did not run proves nothing: it fails the verdict.
    case notRun = "not-run"
    /// The suite could not decide; an error fails the verdict whether listed or not.
    case error

    /// Whether the check counts against the verdict.
    public var failsVerdict: Bool {
        switch self {
        case .failed, .staleExpectedFailure, .notRun, .error: true
        case .passed, .expectedFailure: false
        }
    }

    /// A short label for reports.
    public var label: String {
        switch self {
        case .passed: "passed"
        case .failed: "failed"
        case .expectedFailure: "expected failure"
        case .staleExpectedFailure: "stale expected failure"
        case .notRun: "not run"
        case .error: "error"
        }
    }
}

/// The verdict of a run, with its expected failures taken into account, and the exit code it maps to.
///
/// ```swift
/// let list = try ExpectedFailures.read(from: "expected-failures.txt")
/// let verdict = list.gate(report, knownIDs: allCheckIDs)
/// verdict.lines.forEach { print($0) }
/// print(verdict.closingLine)          // "33 passed, 0 failed, 0 errors, 0 not run"
/// exit(verdict.exitCode)               // 0, 1 or 2
/// ```
///
/// Without a list (``init(_:)``) it is the plain verdict of `gnll verify`.
public struct GatedVerdict: Sendable, Equatable {
    /// The three verdicts and their exit codes.
    public enum Outcome: Int32, Sendable, Equatable, CaseIterable {
        /// Exit 0: every check passed, or failed (or did not run) as listed.
        case conformant = 0
        /// Exit 1: a check failed or did not run that is not listed, or a listed check passes (a stale list).
        case notConformant = 1
        /// Exit 2: no verdict: an unknown id in the list, a check that ended in an error, or an interrupted
        /// run.
        case cannotDecide = 2

        /// "Conformant", "Not conformant" or "No verdict".
        public var headline: String {
            switch self {
            case .conformant: "Conformant"
            case .notConformant: "Not conformant"
            case .cannotDecide: "No verdict"
            }
        }
    }

    public var outcome: Outcome
    /// One per check of the report, in its order.
    public var dispositions: [Disposition]
    /// Listed checks that failed or did not run, in report order.
    public var expectedFailures: [String]
    /// Listed checks that passed.
    public var staleExpectedFailures: [String]
    /// Failed checks that are not listed.
    public var unexpectedFailures: [String]
    /// Checks that judged no case and are not listed.
    public var notRun: [String]
    /// Checks that ended in an error.
    public var errors: [String]
    /// Listed ids that name no check.
    public var unknownEntries: [ExpectedFailures.Entry]
    /// Whether the run was interrupted.
    public var incomplete: Bool
    /// The expected-failure list's path, when one was applied.
    public var listPath: String?
    /// Human-readable lines: `expected failure: ID`, `stale expected failure: ID passes now`, `unknown id in
    /// FILE:LINE: ID`, and the reason there is no verdict.
    public var lines: [String]

    /// The exit code of the verdict: 0, 1 or 2.
    public var exitCode: Int32 { outcome.rawValue }

    /// The plain verdict of a report, with no expected failures.
    public init(_ report: VerifyReport) {
        self = ExpectedFailures().gate(report)
    }

    init(
        outcome: Outcome, dispositions: [Disposition], expectedFailures: [String], staleExpectedFailures: [String],
        unexpectedFailures: [String], notRun: [String], errors: [String], unknownEntries: [ExpectedFailures.Entry],
        incomplete: Bool,
        listPath: String?, lines: [String]
    ) {
        self.outcome = outcome
        self.dispositions = dispositions
        self.expectedFailures = expectedFailures
        self.staleExpectedFailures = staleExpectedFailures
        self.unexpectedFailures = unexpectedFailures
        self.notRun = notRun
        self.errors = errors
        self.unknownEntries = unknownEntries
        self.incomplete = incomplete
        self.listPath = listPath
        self.lines = lines
    }

    /// How many checks ended each way.
    public func count(_ disposition: Disposition) -> Int {
        dispositions.count { $0 == disposition }
    }

    /// The closing line: "N passed, N failed, N errors, N not run", where failed counts unlisted failures and
    /// stale entries, errors the checks the suite could not decide, and not run the unlisted checks that judged
    /// no case; expected failures are left out, and a line "N expected failures" comes before it when there are
    /// some (``expectedFailureLine``).
    public var closingLine: String {
        let failed = count(.failed) + count(.staleExpectedFailure)
        return
            "\(count(.passed)) passed, \(failed) failed, \(counted(count(.error), "error")), \(count(.notRun)) not run"
    }

    /// "N expected failure(s) (FILE)", or `nil` when none failed as listed.
    public var expectedFailureLine: String? {
        guard !expectedFailures.isEmpty else { return nil }
        let count = counted(expectedFailures.count, "expected failure")
        return listPath.map { "\(count) (\($0))" } ?? count
    }
}

extension ExpectedFailures {
    /// Applies the list to a report.
    ///
    /// - A listed check that failed is an expected failure and does not fail the verdict.
    /// - A listed check that passed is stale: the verdict is not conformant until the entry is removed
    ///   (``fixed(for:)`` does it).
    /// - A listed check that ended in an error still gives no verdict: the list covers failures only.
    /// - A check that judged no case (status `skipped`) did not run: it fails the verdict unless it is listed,
    ///   and a listed one counts as an expected failure.
    /// - A listed check that is known but not in the report (another shard, or not selected with `--check`)
    ///   does not count either way.
    /// - A listed id that is not known is a usage error: no verdict, exit 2.
    ///
    /// - Parameter knownIDs: Every check id of the suite under this profile, run or not; `nil` means the
    ///   report's own. Pass the full list when the report covers a shard or a selection.
    public func gate(_ report: VerifyReport, knownIDs: Set<String>? = nil) -> GatedVerdict {
        let known = knownIDs ?? Set(report.checks.map(\.id))
        let listed = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var dispositions = [Disposition]()
        var expected = [String]()
        var stale = [String]()
        var unexpected = [String]()
        var notRun = [String]()
        var errors = [String]()
        var lines = [String]()
        for check in report.checks {
            let entry = listed[check.id]
            switch (check.status, entry) {
            case (.passed, nil):
                dispositions.append(.passed)
            case (.passed, let entry?):
                dispositions.append(.staleExpectedFailure)
                stale.append(check.id)
                lines.append("stale expected failure: \(check.id) passes now (remove it from \(location(of: entry)))")
            case (.failed, nil):
                dispositions.append(.failed)
                unexpected.append(check.id)
            case (.failed, .some):
                dispositions.append(.expectedFailure)
                expected.append(check.id)
                lines.append("expected failure: \(check.id)")
            case (.skipped, nil):
                dispositions.append(.notRun)
                notRun.append(check.id)
            case (.skipped, .some):
                dispositions.append(.expectedFailure)
                expected.append(check.id)
                lines.append("expected failure: \(check.id) (not run)")
            case (.error, let entry):
                dispositions.append(.error)
                errors.append(check.id)
                if entry != nil {
                    lines.append(
                        "\(check.id) is listed as an expected failure but ended in an error;"
                            + " the list covers failures only")
                }
            }
        }
        let unknown = unknownEntries(knownIDs: known)
        for entry in unknown {
            lines.append("unknown id in \(location(of: entry)): '\(entry.id)' names no check")
        }
        let outcome: GatedVerdict.Outcome
        if !unknown.isEmpty || report.incomplete || !errors.isEmpty {
            outcome = .cannotDecide
            if report.incomplete { lines.append("the run is incomplete: no verdict") }
            if !errors.isEmpty { lines.append("\(counted(errors.count, "check")) could not run: no verdict") }
        } else if !unexpected.isEmpty || !stale.isEmpty || !notRun.isEmpty {
            outcome = .notConformant
            if !notRun.isEmpty {
                lines.append(
                    "\(counted(notRun.count, "check")) judged no case (not run), which proves nothing: not conformant"
                        + " unless an expected-failures entry names \(notRun.count == 1 ? "it" : "them")")
            }
        } else {
            outcome = .conformant
        }
        return GatedVerdict(
            outcome: outcome, dispositions: dispositions, expectedFailures: expected, staleExpectedFailures: stale,
            unexpectedFailures: unexpected, notRun: notRun, errors: errors, unknownEntries: unknown,
            incomplete: report.incomplete, listPath: path.isEmpty ? nil : path, lines: lines)
    }
}
