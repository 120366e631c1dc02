public import Conformance
public import GaussianNLL
internal import PropertyTesting

/// What a verification run does: the profile, the seed and budget, which checks, the regression file, the
/// expected failures and the shard.
///
/// The defaults are those of `gnll verify`: the candidate's own profile, seed 1, the default budget, every
/// check, no regression file, no expected failures, the whole run.
public struct VerificationSettings: Sendable {
    /// The profile to judge under; `nil`: the one the candidate declares.
    public var profile: Profile?
    /// The seed of the randomized checks.
    public var seed: UInt64 = 1
    /// How many random cases per property.
    public var budget: Budget = .default
    /// Cases per property, overriding ``budget``.
    public var casesPerProperty: Int?
    /// Check ids to run (`--check`); empty: every check.
    public var selection: [String] = []
    /// The regression file: stored failures are replayed first and new ones stored; `nil`: none.
    public var regressionFile: String?
    /// Checks expected to fail: they do not fail the verdict, and a listed check that passes does.
    public var expectedFailures = ExpectedFailures()
    /// Rewrite the expected-failures list to match the run (``VerificationOutcome/fix``).
    public var fixExpectedFailures = false
    /// Run only one shard of the checks.
    public var shard: ShardSpec?
    /// Sources of checks beside the property tester, such as golden replay.
    public var sources: [any CheckSource] = []
    /// How many candidate cases the shrinker may try for a failing property (0: failures are not shrunk;
    /// shrinking changes the reported case, never whether a check fails).
    public var maximumShrinkAttempts = PropertySuite.defaultShrinkAttempts
    /// How a failure's rerun command names the candidate, such as `--reference` or `--candidate 'cmd'`.
    public var candidateArgument = ""

    public init() {}

    /// The budget as results files record it: `default`, or `N cases` when ``casesPerProperty`` is set.
    public var budgetLabel: String { casesPerProperty.map { "\($0) cases" } ?? budget.rawValue }

    /// Whether the selection may include checks of a source, so that the source must be read.
    public func needsChecks(of source: any CheckSource) -> Bool {
        selection.isEmpty || selection.contains { source.ownsCheck(id: $0) }
    }

    /// The one-line command that reruns a check against the same candidate.
    public func reproduction(check: String, profile: Profile) -> String {
        let candidate = candidateArgument.isEmpty ? "" : "\(candidateArgument) "
        return "gnll verify \(candidate)--profile \(profile) --seed \(seed) --check \(check)"
    }
}

/// What a verification run found: the results, the verdict with expected failures applied, and what a
/// results file needs to be merged with other shards.
public struct VerificationOutcome: Sendable {
    /// Every check that ran, in run order.
    public var report: VerifyReport
    /// The verdict and its exit code.
    public var verdict: GatedVerdict
    /// The ids of every check of the whole run under its profile, in run order, before selection and sharding.
    public var allCheckIDs: [String]
    /// The shard that ran, if the run was sharded.
    public var shard: ShardSpec?
    /// The rewritten expected-failures list, when ``VerificationSettings/fixExpectedFailures`` was set (it has
    /// been written already).
    public var fix: ExpectedFailures.Fix?

    /// The results file: the report, plus the shard record for a sharded run.
    public var results: ShardedReport {
        ShardedReport(report: report, shard: shard.map { ShardRecord(shard: $0, checks: allCheckIDs) })
    }
}

/// Why a run has no verdict before its checks ran: a candidate that cannot start, a source or regression file
/// that cannot be read, or an id that names no check.
public struct VerificationError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Runs the conformance checks against a candidate and gates the results: the pipeline behind `gnll verify`,
/// as one library call.
///
/// ```swift
/// var settings = VerificationSettings()
/// settings.sources = [GoldenReplaySource(folder: GoldenFolder(path: "golden"))]
/// let outcome = try Verification.run(settings, candidate: MyLoss())
/// print(outcome.verdict.closingLine)      // "36 passed, 0 failed, 0 errors, 0 not run"
/// ```
///
/// The steps: the checks of every source that the selection may need are built for the profile, then the
/// property checks (replaying the regression file first); the expected-failures list and the selection are
/// validated against their ids; the selection and the shard are applied; the checks run in order; the list
/// is fixed if asked; and the results are gated into a verdict.
public enum Verification {
    /// Observes a run: its start once the checks are chosen, each check's result as it lands (with the number
    /// of checks the run will run), and whether to stop before the next check (an interrupted run is marked
    /// incomplete).
    public struct Observer {
        public var started: (_ start: RunStart) -> Void
        public var progress: (_ report: VerifyReport, _ total: Int) -> Void
        public var shouldStop: () -> Bool

        public init(
            started: @escaping (_ start: RunStart) -> Void = { _ in },
            progress: @escaping (_ report: VerifyReport, _ total: Int) -> Void = { _, _ in },
            shouldStop: @escaping () -> Bool = { false }
        ) {
            self.started = started
            self.progress = progress
            self.shouldStop = shouldStop
        }
    }

    /// A run about to run its checks: what its results file holds before the first check lands.
    public struct RunStart: Sendable {
        /// The results with no check yet: the candidate's handshake, the profile, the seed and the budget.
        public var results: ShardedReport
        /// How many checks will run.
        public var total: Int
    }

    /// Verifies a candidate that is already running; the caller closes it.
    public static func run(
        _ settings: VerificationSettings, candidate: any Candidate, observer: Observer = Observer()
    ) throws(VerificationError) -> VerificationOutcome {
        nonisolated(unsafe) let candidate = candidate
        return try run(settings, starting: { candidate }, closing: false, observer: observer)
    }

    /// Starts a candidate and verifies it, closing it at the end.
    ///
    /// The sources' checks are built while the candidate starts (importing a framework takes seconds), for
    /// the profile of the settings or, without one, the current profile, which most candidates declare.
    public static func run(
        _ settings: VerificationSettings, starting start: () throws -> any Candidate, observer: Observer = Observer()
    ) throws(VerificationError) -> VerificationOutcome {
        try run(settings, starting: start, closing: true, observer: observer)
    }

    private static func run(
        _ settings: VerificationSettings, starting start: () throws -> any Candidate, closing: Bool, observer: Observer
    ) throws(VerificationError) -> VerificationOutcome {
        let asked = settings.sources.filter(settings.needsChecks(of:))
        let expectedProfile = settings.profile ?? .current
        let reading = Background { () throws -> [any ConformanceCheck] in
            try checks(of: asked, for: expectedProfile)
        }
        let candidate: any Candidate
        do { candidate = try start() } catch { throw VerificationError("\(error)") }
        defer { if closing { candidate.close() } }
        guard !candidate.info.dtypes.isEmpty else {
            throw VerificationError("the candidate declares no dtype: it would be judged on nothing")
        }
        let profile = settings.profile ?? candidate.info.profile
        var sourceChecks = reading.result
        if !asked.isEmpty && profile != expectedProfile {
            sourceChecks = Result { try checks(of: asked, for: profile) }
        }
        var database: RegressionDatabase?
        if let path = settings.regressionFile {
            do { database = try RegressionDatabase.load(from: path) } catch {
                throw VerificationError("cannot read the regression file \(path): \(error)")
            }
        }
        let allChecks: [any ConformanceCheck]
        do {
            allChecks =
                try sourceChecks.get()
                + PropertySuite.checks(
                    for: profile, database: database, maximumShrinkAttempts: settings.maximumShrinkAttempts)
        } catch {
            throw VerificationError("\(error)")
        }
        let plan = try CheckPlan(checks: allChecks, settings: settings, profile: profile)

        let context = CheckContext(
            candidate: candidate, profile: profile, seed: settings.seed,
            casesPerProperty: settings.casesPerProperty ?? settings.budget.casesPerProperty,
            stripe: settings.shard?.stripe, reproduction: { settings.reproduction(check: $0, profile: profile) })
        let total = plan.selected.count
        observer.started(
            RunStart(
                results: ShardedReport(
                    report: VerifyReport(
                        candidate: candidate.info, profile: profile, seed: settings.seed, budget: settings.budgetLabel),
                    shard: settings.shard.map { ShardRecord(shard: $0, checks: plan.allIDs) }),
                total: total))
        let report = Verifier(checks: plan.selected).run(
            in: context, budget: settings.budgetLabel, progress: { observer.progress($0, total) },
            shouldStop: observer.shouldStop)

        var list = settings.expectedFailures
        var fix: ExpectedFailures.Fix?
        if settings.fixExpectedFailures {
            let fixed = try list.fixAndWrite(for: report)
            fix = fixed
            list = fixed.list
        }
        return VerificationOutcome(
            report: report, verdict: list.gate(report, knownIDs: plan.knownIDs), allCheckIDs: plan.allIDs,
            shard: settings.shard, fix: fix)
    }

    /// The checks of several sources for a profile, in order.
    private static func checks(of sources: [any CheckSource], for profile: Profile) throws -> [any ConformanceCheck] {
        try sources.flatMap { try $0.checks(for: profile) }
    }
}

/// The checks of a run: the ids of every check under the profile, the ids an expected-failures list may
/// name, and the checks selected to run (``VerificationSettings/selection``, then the shard).
public struct CheckPlan: Sendable {
    /// Every check's id under the profile, in run order.
    public var allIDs: [String]
    /// The ids a list may name: every check's, plus, for a source the selection did not need (and so did not
    /// read), each listed id of its form.
    public var knownIDs: Set<String>
    /// The checks to run, in run order: with a shard, every selected check that runs in stripes (for its stripe of
    /// cases) and the shard's share of the others.
    public var selected: [any ConformanceCheck]

    /// Validates the expected-failures list and the selection against the checks, and applies the selection
    /// and the shard.
    ///
    /// - Parameter checks: Every check of the run's profile: those of the sources the selection needs, then the
    ///   property checks.
    /// - Throws: ``VerificationError`` for a listed id or a selected id that names no check.
    public init(
        checks: [any ConformanceCheck], settings: VerificationSettings, profile: Profile
    )
        throws(VerificationError)
    {
        let list = settings.expectedFailures
        allIDs = checks.map(\.id)
        let unread = settings.sources.filter { !settings.needsChecks(of: $0) }
        knownIDs = Set(allIDs).union(
            list.entries.map(\.id).filter { id in unread.contains { $0.ownsCheck(id: id) } })
        if let unknown = list.unknownEntries(knownIDs: knownIDs).first {
            throw VerificationError("unknown id in \(list.location(of: unknown)): no check is named '\(unknown.id)'")
        }
        selected = checks
        if !settings.selection.isEmpty {
            if let unknown = settings.selection.first(where: { !allIDs.contains($0) }) {
                throw VerificationError("no check has the id '\(unknown)' under \(profile)")
            }
            selected = selected.filter { settings.selection.contains($0.id) }
        }
        if let shard = settings.shard { selected = shard.select(selected) }
    }
}
