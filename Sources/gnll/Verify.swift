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
            an infrastructure error (a candidate that cannot start, a golden file that cannot be read, an output \
            file that cannot be written: checked before the run, and after it the verdict is still printed).

            SIGINT, SIGTERM and SIGHUP write the results so far to --json, marked incomplete, kill the \
            candidate and exit with 128 + the signal's number; once the complete results are being written, \
            only a second signal interrupts, and the results are not marked incomplete. Progress goes to \
            stderr: a line redrawn every second on a terminal, a plain line every 10 seconds otherwise.
            """)

    @OptionGroup var candidateOptions: CandidateOptions

    @Option(name: .long, help: "The profile to judge under (default: the one the candidate declares).")
    var profile: Profile?

    @Option(
        name: .long, parsing: .unconditional, help: "The seed for randomized checks (0 to 2^64 - 1).",
        transform: parseSeed)
    var seed: UInt64 = 1

    @Option(name: .long, help: "How many random cases per property: quick, default or thorough.")
    var budget: Budget = .default

    @Option(name: .long, parsing: .unconditional, help: "Cases per property, overriding --budget (1 to 1000000).")
    var cases: Int?

    /// The range of `--cases`.
    static let casesRange = 1...1_000_000

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

    @Option(
        name: .long,
        help:
            "Run only shard K of N (1-based), e.g. 2/4: the K-th of every N cases of every check; merge with 'gnll report merge'."
    )
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
        if let cases { try requireRange(cases, Self.casesRange, option: "--cases") }
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
        var settings = VerificationSettings()
        settings.profile = profile
        settings.seed = seed
        settings.budget = budget
        settings.casesPerProperty = cases
        settings.selection = onlyChecks
        settings.regressionFile = noRegressions ? nil : regressions
        settings.fixExpectedFailures = expected.fix
        settings.shard = shard
        settings.sources = noGolden ? [] : [GoldenReplaySource(folder: golden.folder)]
        settings.candidateArgument = candidateOptions.commandLineArgument
        // Before anything starts, so that a signal at any point leaves a results file marked incomplete.
        let partial = PartialResults(
            path: json,
            results: ShardedReport(
                report: VerifyReport(
                    candidate: CandidateInfo(name: "unknown", version: ""), profile: profile ?? .current, seed: seed,
                    budget: settings.budgetLabel)))
        let interruption = Interruption { signal, earlier in
            guard partial.abandon(reason: "interrupted by \(Interruption.name(of: signal))") else {
                // The complete results are being written: a second signal ends gnll all the same (a FIFO with no
                // reader would block the write for ever), without marking them incomplete.
                if earlier > 0 { Interruption.exit(after: signal, message: "interrupted while writing the results") }
                return
            }
            Interruption.exit(
                after: signal,
                message: "interrupted: results so far written\(json.map { " to \($0)" } ?? ""), marked incomplete")
        }
        defer { withExtendedLifetime(interruption) {} }
        try checkOutputs()
        settings.expectedFailures = try expected.read()

        let progress = ProgressLine(terminal: isatty(STDERR_FILENO) != 0, enabled: !quiet)
        let observer = Verification.Observer(
            started: { start in
                partial.update(start.results)
                progress.start(total: start.total)
            },
            progress: { report, _ in
                partial.update(report)
                progress.update(report)
                if let last = report.checks.last, !quiet { progress.clearing { printResult(last) } }
            })
        let outcome: VerificationOutcome
        do {
            outcome = try Verification.run(
                settings, starting: { try candidateOptions.make(profile: profile) }, observer: observer)
        } catch {
            progress.finish()
            // A signal that killed the candidate as it started is the reason, and its handler ends gnll.
            guard partial.abandon(reason: error.message) else { Interruption.waitForExit() }
            throw CommandFailure(error.message + (json.map { " (results marked incomplete in \($0))" } ?? ""))
        }
        progress.finish()
        // From here the run is complete: a signal no longer cuts it short.
        guard partial.finish() else { Interruption.waitForExit() }

        if let fix = outcome.fix { fix.lines.forEach { print($0.showingControlCharacters()) } }
        let verdict = outcome.verdict
        var failures: [String] = []
        if let json {
            do { try outcome.results.write(to: json) } catch { failures.append("--json: \(error)") }
        }
        for (option, path, format) in [
            ("--junit", junit, ReportFormat.junit), ("--markdown", markdown, .markdown), ("--html", html, .html),
        ] {
            guard let path else { continue }
            do { try AtomicFile.write(Data(try format.render(outcome.report, verdict: verdict).utf8), to: path) } catch
            {
                failures.append("\(option): \(error)")
            }
        }
        guard failures.isEmpty else {
            // The verdict stands even when a report cannot be written; the exit code says that something is lost.
            try? printVerdict(verdict, quiet: quiet)
            throw CommandFailure(failures.joined(separator: "\nerror: "))
        }
        try printVerdict(verdict, quiet: quiet)
    }

    /// Checks before the run that every output file can be written, so that no run ends with its results lost.
    private func checkOutputs() throws {
        for (option, path) in [("--json", json), ("--junit", junit), ("--markdown", markdown), ("--html", html)] {
            try checkOutput(path, option: option)
        }
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

/// The results so far, written marked incomplete when the run is cut short (by a signal, or a candidate that
/// cannot start), unless the complete results are being written already.
///
/// The run's end and an interruption agree through one lock: whichever comes first wins, and the other does
/// nothing, so a complete run is never marked incomplete and no two writes race.
final class PartialResults: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: ShardedReport
    private var state = State.running
    private let path: String?

    private enum State {
        case running, finishing, abandoned
    }

    /// Results to be written to `path` (none: nothing is written), starting with `results`.
    init(path: String?, results: ShardedReport) {
        self.path = path
        latest = results
    }

    /// The results from the start of the run (the shard record included).
    func update(_ results: ShardedReport) {
        lock.withLock { latest = results }
    }

    /// The results with the checks so far.
    func update(_ report: VerifyReport) {
        lock.withLock { latest.report = report }
    }

    /// Writes the results so far marked incomplete, with the reason; false when the run has begun writing its
    /// complete results (or was abandoned already), and nothing is written.
    func abandon(reason: String) -> Bool {
        lock.withLock {
            guard state == .running else { return false }
            state = .abandoned
            guard let path else { return true }
            var partial = latest
            partial.report.incomplete = true
            partial.report.incompleteReason = reason
            do { try partial.write(to: path) } catch { printError("error: --json: \(error)") }
            return true
        }
    }

    /// Claims the end of the run for the complete results; false when an interruption came first.
    func finish() -> Bool {
        lock.withLock {
            guard state == .running else { return false }
            state = .finishing
            return true
        }
    }
}

/// Progress on stderr while checks run: on a terminal one line redrawn in place every second, else a plain
/// line every 10 seconds (for CI logs); both go on while a long check runs.
final class ProgressLine: @unchecked Sendable {
    private let terminal: Bool
    private let enabled: Bool
    private let lock = NSLock()
    private var total = 0
    private var report: VerifyReport?
    private var drawn = false
    private var started = Date()
    private var timer: (any DispatchSourceTimer)?

    init(terminal: Bool, enabled: Bool) {
        self.terminal = terminal
        self.enabled = enabled
    }

    /// The checks are about to run: starts the clock and the periodic line.
    func start(total: Int) {
        guard enabled else { return }
        lock.withLock {
            self.total = total
            started = Date()
        }
        let interval: DispatchTimeInterval = terminal ? .seconds(1) : .seconds(10)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "gnll.progress"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
        lock.withLock { self.timer = timer }
        if terminal { draw() }
    }

    /// A check has finished.
    func update(_ report: VerifyReport) {
        guard enabled else { return }
        lock.withLock { self.report = report }
        if terminal { draw() }
    }

    /// Runs `body` (which prints to stdout) with the terminal's line cleared, then redraws it.
    func clearing(_ body: () -> Void) {
        guard enabled && terminal else { return body() }
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            drawn = false
            body()
            fflush(nil)
        }
        draw()
    }

    /// Stops the periodic line and clears the terminal's.
    func finish() {
        lock.withLock {
            timer?.cancel()
            timer = nil
            if terminal && drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            drawn = false
        }
    }

    private func draw() {
        lock.withLock {
            guard timer != nil else { return }
            let done = report?.checks.count ?? 0
            let cases = report?.checks.reduce(0) { $0 + $1.cases } ?? 0
            let failures = (report?.summary.failed ?? 0) + (report?.summary.errors ?? 0)
            let elapsed = Date().timeIntervalSince(started)
            let rate = Double(cases) / max(elapsed, 0.001)
            let text =
                "\(done)/\(total) checks, \(cases) cases, \(failures) failing, \(Int(rate)) cases/s, "
                + "\(Int(elapsed)) s"
            if terminal {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
                drawn = true
            } else {
                printError("progress: \(text)")
            }
        }
    }
}
