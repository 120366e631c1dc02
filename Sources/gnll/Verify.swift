import ArgumentParser
import Conformance
import Dispatch
import Foundation
import GaussianNLL
import GoldenReplay
import Reporting
import Verification

/// `gnll verify`: judge a candidate against every check.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify an implementation: golden replay and every property check, judged by the tolerance model.",
        discussion: """
            The candidate is a command that speaks the candidate protocol on stdin/stdout (CONFORMANCE.md, \
            "Candidate protocol"), started with /bin/sh -c. --reference checks the bundled reference in-process.

            One line is printed per failing check, with a command that reproduces it, and per check that judged \
            no case (not run), then a closing line "N passed, N failed, N errors, N not run". Exit codes: 0 \
            conformant, 1 not conformant (a check failed, or did not run, and is not listed), 2 usage error or \
            an infrastructure error (a candidate that cannot start, a golden file that cannot be read).
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

    @OptionGroup var expected: ExpectedFailuresOptions

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

    @Flag(
        name: .customLong("no-golden"),
        help: "Replay no golden file (without it, a run whose profile no golden file records is not conformant).")
    var noGolden = false

    func validate() throws {
        if let cases, cases < 0 { throw ValidationError("--cases must not be negative.") }
        if expected.fix && shard != nil {
            throw ValidationError(
                "--fix-expected-failures cannot be used with --shard: merge the shards, then run "
                    + "'gnll report gate merged.json --expected-failures FILE --fix-expected-failures'.")
        }
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other.") }
        if noGolden && golden.directory != nil {
            throw ValidationError("--no-golden and --golden-dir exclude each other.")
        }
    }

    func run() throws {
        // First, so that a signal at any point leaves a results file marked incomplete.
        let interruption = Interruption(resultsPath: json)
        var settings = VerificationSettings()
        settings.profile = profile
        settings.seed = seed
        settings.budget = budget
        settings.casesPerProperty = cases
        settings.selection = onlyChecks
        settings.regressionFile = noRegressions ? nil : regressions
        settings.expectedFailures = try expected.read()
        settings.fixExpectedFailures = expected.fix
        settings.shard = shard
        settings.sources = noGolden ? [] : [GoldenReplaySource(folder: golden.folder)]
        settings.candidateArgument = candidateOptions.commandLineArgument

        var progress: ProgressLine?
        let observer = Verification.Observer(
            progress: { report, total in
                interruption.update(report)
                if progress == nil { progress = ProgressLine(total: total, enabled: !quiet && isatty(2) != 0) }
                progress?.update(report)
                if let last = report.checks.last, !quiet { printResult(last) }
            },
            shouldStop: { interruption.requested })
        let outcome: VerificationOutcome
        do {
            outcome = try Verification.run(
                settings,
                starting: {
                    let candidate = try candidateOptions.make(profile: profile)
                    // Read from the signal's thread only to kill the process group, which is safe at any moment.
                    nonisolated(unsafe) let running = candidate
                    interruption.onExit = { running.kill() }
                    return candidate
                }, observer: observer)
        } catch {
            throw CommandFailure(error.message)
        }
        progress?.finish()

        if let fix = outcome.fix { fix.lines.forEach { print($0.showingControlCharacters()) } }
        let verdict = outcome.verdict
        do {
            if let json { try outcome.results.write(to: json) }
            for (path, format) in [(junit, ReportFormat.junit), (markdown, .markdown), (html, .html)] {
                if let path { try writeOutput(try format.render(outcome.report, verdict: verdict), to: path) }
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("cannot write the results: \(error)")
        }
        try printVerdict(verdict, quiet: quiet)
    }

    private func printResult(_ result: CheckResult) {
        switch result.status {
        case .passed:
            if verbose {
                print("pass \(result.id): \(result.cases) cases, worst |error|/bound \(result.worstRatio)")
            }
        case .failed, .error, .skipped:
            let message = result.failure?.message ?? ""
            let label = result.status == .error ? "ERROR" : result.status == .failed ? "FAIL" : "NOT RUN"
            // The message holds what the candidate wrote (rejection messages, its stderr): shown, never obeyed.
            print("\(label) \(result.id): \(message)".showingControlCharacters())
            if let reproduction = result.failure?.reproduction {
                print("  reproduce: \(reproduction)".showingControlCharacters())
            }
        }
    }
}

/// Quotes a string for /bin/sh.
func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
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
