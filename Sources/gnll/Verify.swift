import ArgumentParser
import Conformance
import Dispatch
import Foundation
import GaussianNLL
import GoldenFiles
import PropertyTesting
import Reporting

/// `gnll verify`: judge a candidate against every check.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify an implementation: golden replay and every property check, judged by the tolerance model.",
        discussion: """
            The candidate is a command that speaks the candidate protocol on stdin/stdout (CONFORMANCE.md, \
            "Candidate protocol"), started with /bin/sh -c. --reference checks the bundled reference in-process.

            One line is printed per failing check, with a command that reproduces it, then a closing line \
            "N passed, N failed, N skipped". Exit codes: 0 conformant, 1 not conformant, 2 usage error or an \
            infrastructure error (a candidate that cannot start, a golden file that cannot be read).
            """)

    @OptionGroup var candidateOptions: CandidateOptions

    @Option(name: .long, help: "The profile to judge under (default: the one the candidate declares).")
    var profile: Profile?

    @Option(name: .long, help: "The seed for randomized checks.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "How many random cases per property: quick, default or thorough.")
    var budget: Budget = .default

    @Option(name: .long, help: "Cases per property, overriding --budget.")
    var cases: Int?

    @Option(name: .long, help: "Write the results JSON here (atomically).")
    var json: String?

    @Option(name: .customLong("check"), help: "Run only this check (repeatable); ids as printed in results.")
    var onlyChecks: [String] = []

    @Option(name: .long, help: "Also write the results as JUnit XML here.")
    var junit: String?

    @Option(name: .long, help: "Also write a Markdown summary here (for a CI step summary).")
    var markdown: String?

    @Option(name: .long, help: "Also write a self-contained HTML report here.")
    var html: String?

    @Option(
        name: .customLong("expected-failures"),
        help: "A list of check ids expected to fail, one per line, '#' for the reason (see README).")
    var expectedFailures: String?

    @Flag(name: .customLong("fix-expected-failures"), help: "Rewrite the expected-failures list to match this run.")
    var fixExpectedFailures = false

    @Option(name: .long, help: "Run only shard K of N (1-based), e.g. 2/4; merge with 'gnll report merge'.")
    var shard: ShardSpec?

    @Option(
        name: .customLong("regressions"),
        help: "The regression file: failures are stored there, and later runs replay them first.")
    var regressions: String = ".gnll/regressions.json"

    @Flag(
        name: .customLong("no-regressions"),
        help: "Neither replay nor record regressions: the run depends on the seed alone.")
    var noRegressions = false

    @Flag(name: .long, help: "Print only the closing line (and errors).")
    var quiet = false

    @Flag(name: .long, help: "Print a line for every check, passed or not.")
    var verbose = false

    @OptionGroup var golden: GoldenDirectoryOption

    func validate() throws {
        if let cases, cases < 0 { throw ValidationError("--cases must not be negative.") }
        if fixExpectedFailures && expectedFailures == nil {
            throw ValidationError("--fix-expected-failures needs --expected-failures FILE.")
        }
        if fixExpectedFailures && shard != nil {
            throw ValidationError(
                "--fix-expected-failures cannot be used with --shard: merge the shards, then run "
                    + "'gnll report gate merged.json --expected-failures FILE --fix-expected-failures'.")
        }
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other.") }
    }

    func run() throws {
        // First, so that a signal at any point leaves a results file marked incomplete.
        let interruption = Interruption(resultsPath: json)
        var list = ExpectedFailures()
        if let expectedFailures {
            do {
                list = try readExpectedFailures(expectedFailures, missingIsEmpty: fixExpectedFailures)
            } catch {
                printError("error: \(error)")
                throw cannotDecide
            }
        }
        // The golden files are read while the candidate starts (importing a framework takes seconds): those
        // of --profile, or of the current profile, which most candidates declare. A run whose --check options
        // name property checks only reads none.
        let readsGoldenFiles = onlyChecks.isEmpty || onlyChecks.contains { !PropertySuite.isPropertyCheckID($0) }
        let expectedProfile = self.profile ?? .current
        let reading = Background { [self] in readsGoldenFiles ? try goldenReplayChecks(for: expectedProfile) : [] }
        let candidate: any Candidate
        do {
            candidate = try candidateOptions.make(profile: self.profile)
        } catch {
            printError("error: \(error)")
            throw cannotDecide
        }
        // Read from the signal's thread only to kill the process group, which is safe at any moment.
        nonisolated(unsafe) let running = candidate
        interruption.onExit = { (running as? any ClosableCandidate)?.kill() }
        defer { (candidate as? any ClosableCandidate)?.close() }
        let profile = self.profile ?? candidate.info.profile
        var goldenChecks = reading.result
        if readsGoldenFiles && profile != expectedProfile {
            goldenChecks = Result { try goldenReplayChecks(for: profile) }
        }
        var database: RegressionDatabase?
        do {
            if !noRegressions { database = try RegressionDatabase.load(from: regressions) }
        } catch {
            printError("error: cannot read the regression file \(regressions): \(error)")
            throw cannotDecide
        }
        let allChecks: [any ConformanceCheck]
        do {
            allChecks = try goldenChecks.get() + PropertySuite.checks(for: profile, database: database)
        } catch {
            printError("error: \(error)")
            throw cannotDecide
        }
        let allIDs = allChecks.map(\.id)
        // Without the golden files their check ids are unknown: listed golden ids are taken as known.
        let knownIDs = Set(allIDs).union(
            readsGoldenFiles ? [] : list.entries.map(\.id).filter { !PropertySuite.isPropertyCheckID($0) })
        if let unknown = list.unknownEntries(knownIDs: knownIDs).first {
            printError("error: unknown id in \(list.location(of: unknown)): no check is named '\(unknown.id)'")
            throw cannotDecide
        }
        var selected = allChecks
        if !onlyChecks.isEmpty {
            if let unknown = onlyChecks.first(where: { !allIDs.contains($0) }) {
                printError("error: no check has the id '\(unknown)' under \(profile)")
                throw cannotDecide
            }
            selected = selected.filter { onlyChecks.contains($0.id) }
        }
        if let shard { selected = shard.select(selected, id: \.id) }

        let context = CheckContext(
            candidate: candidate, profile: profile, seed: seed, casesPerProperty: cases ?? budget.casesPerProperty,
            reproduction: { [self] in reproduction(check: $0, profile: profile) })
        let progress = ProgressLine(total: selected.count, enabled: !quiet && isatty(2) != 0)
        let report = Verifier(checks: selected).run(
            in: context, budget: cases.map { "\($0) cases" } ?? budget.rawValue,
            progress: { report in
                interruption.update(report)
                progress.update(report)
                if let last = report.checks.last, !quiet { printResult(last) }
            },
            shouldStop: { interruption.requested })
        progress.finish()

        if fixExpectedFailures {
            let fix = list.fixed(for: report)
            do { try fix.write() } catch {
                printError("error: cannot write \(list.path): \(error)")
                throw cannotDecide
            }
            fix.lines.forEach { print($0) }
            list = fix.list
        }
        let verdict = list.gate(report, knownIDs: knownIDs)
        do {
            if let json {
                if let shard {
                    try ShardedReport(report: report, shard: ShardRecord(shard: shard, checks: allIDs)).write(to: json)
                } else {
                    try report.write(to: json)
                }
            }
            for (path, format) in [(junit, ReportFormat.junit), (markdown, .markdown), (html, .html)] {
                if let path { try writeOutput(try format.render(report, verdict: verdict), to: path) }
            }
        } catch {
            printError("error: cannot write the results: \(error)")
            throw cannotDecide
        }
        if !quiet { verdict.lines.forEach { print($0) } }
        if let line = verdict.expectedFailureLine { print(line) }
        print(verdict.closingLine)
        if verdict.exitCode != 0 { throw ExitCode(verdict.exitCode) }
    }

    /// Golden replay checks for the profile's golden files.
    private func goldenReplayChecks(for profile: Profile) throws -> [any ConformanceCheck] {
        try golden.files(for: profile).flatMap { GoldenReplayCheck.checks(for: try GoldenLoading.load($0)) }
    }

    /// The one-line command that reruns a check against the same candidate.
    private func reproduction(check: String, profile: Profile) -> String {
        let target = candidateOptions.commandLineArgument
        return "gnll verify \(target) --profile \(profile) --seed \(seed) --check \(check)"
    }

    private func printResult(_ result: CheckResult) {
        switch result.status {
        case .passed, .skipped:
            if verbose {
                print(
                    "\(result.status == .passed ? "pass" : "skip") \(result.id): \(result.cases) cases, worst "
                        + "|error|/bound \(result.worstRatio)")
            }
        case .failed, .error:
            let message = result.failure?.message ?? ""
            print("\(result.status == .error ? "ERROR" : "FAIL") \(result.id): \(message)")
            if let reproduction = result.failure?.reproduction { print("  reproduce: \(reproduction)") }
        }
    }
}

/// Quotes a string for /bin/sh.
func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A candidate that holds resources to release when the run ends.
protocol ClosableCandidate: Candidate {
    /// Ends the candidate politely (bye, then a deadline).
    func close()
    /// Ends the candidate at once, from any thread (on SIGINT or SIGTERM).
    func kill()
}

/// SIGINT and SIGTERM: stop between checks, and write the results so far, marked incomplete.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: VerifyReport?
    private var stop = false
    private let resultsPath: String?
    private var sources: [any DispatchSourceSignal] = []
    /// Run before exiting on a signal: ends the candidate's processes.
    var onExit: @Sendable () -> Void = {}

    init(resultsPath: String?) {
        self.resultsPath = resultsPath
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.interrupted(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    var requested: Bool { lock.withLock { stop } }

    func update(_ report: VerifyReport) {
        lock.withLock { latest = report }
    }

    /// Writes what has been collected, marked incomplete, and exits; a check in flight is abandoned.
    private func interrupted(_ signalNumber: Int32) {
        let report = lock.withLock { () -> VerifyReport? in
            stop = true
            return latest
        }
        if let resultsPath {
            var partial =
                report
                ?? VerifyReport(
                    candidate: CandidateInfo(name: "unknown", version: ""), profile: .current, seed: 0, budget: "")
            partial.incomplete = true
            try? partial.write(to: resultsPath)
        }
        onExit()
        printError("interrupted: results so far written\(resultsPath.map { " to \($0)" } ?? ""), marked incomplete")
        exit(128 + signalNumber)
    }
}

/// The live progress line on a terminal: checks done out of the total, failures so far, the rate.
final class ProgressLine: @unchecked Sendable {
    private let total: Int
    private let enabled: Bool
    private let started = Date()

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ report: VerifyReport) {
        guard enabled else { return }
        let done = report.checks.count
        let cases = report.checks.reduce(0) { $0 + $1.cases }
        let failures = report.summary.failed + report.summary.errors
        let rate = Double(cases) / max(Date().timeIntervalSince(started), 0.001)
        let text = "\r\u{1B}[K\(done)/\(total) checks, \(cases) cases, \(failures) failing, \(Int(rate)) cases/s"
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
