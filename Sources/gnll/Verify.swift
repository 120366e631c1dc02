import ArgumentParser
import Conformance
import Dispatch
import Foundation
import GaussianNLL
import GoldenFiles

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

    @Option(name: .long, help: "The candidate's command line, run with /bin/sh -c.")
    var candidate: String?

    @Flag(name: .long, help: "Verify the bundled reference, in this process.")
    var reference = false

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

    @Option(name: .long, help: "Seconds a candidate may take for one case before it counts as hung.")
    var timeout: Double = 10

    @Option(name: .customLong("check"), help: "Run only this check (repeatable); ids as printed in results.")
    var onlyChecks: [String] = []

    @OptionGroup var golden: GoldenDirectoryOption

    func validate() throws {
        guard (candidate != nil) != reference else {
            throw ValidationError("Give exactly one of --candidate CMD or --reference.")
        }
        if let cases, cases < 0 { throw ValidationError("--cases must not be negative.") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
    }

    func run() throws {
        // First, so that a signal at any point leaves a results file marked incomplete.
        let interruption = Interruption(resultsPath: json)
        let candidate: any Candidate
        do {
            candidate = try makeCandidate()
        } catch {
            printError("error: \(error)")
            throw cannotDecide
        }
        // Read from the signal's thread only to kill the process group, which is safe at any moment.
        nonisolated(unsafe) let running = candidate
        interruption.onExit = { (running as? any ClosableCandidate)?.kill() }
        let profile = self.profile ?? candidate.info.profile
        let checks: [any ConformanceCheck]
        do {
            checks = try selectedChecks(for: profile)
        } catch let error as ValidationError {
            throw error
        } catch {
            printError("error: \(error)")
            throw cannotDecide
        }
        let context = CheckContext(
            candidate: candidate, profile: profile, seed: seed, casesPerProperty: cases ?? budget.casesPerProperty,
            reproduction: { [self] in reproduction(check: $0, profile: profile) })
        let report = Verifier(checks: checks).run(
            in: context, budget: cases.map { "\($0) cases" } ?? budget.rawValue,
            progress: { report in
                interruption.update(report)
                if let last = report.checks.last { printResult(last) }
            },
            shouldStop: { interruption.requested })
        (candidate as? any ClosableCandidate)?.close()
        if let json {
            do { try report.write(to: json) } catch {
                printError("error: cannot write \(json): \(error)")
                throw cannotDecide
            }
        }
        let summary = report.summary
        if summary.errors > 0 { print("\(summary.errors) check(s) could not run") }
        print("\(summary.passed) passed, \(summary.failed + summary.errors) failed, \(summary.skipped) skipped")
        if report.incomplete { throw cannotDecide }
        if summary.errors > 0 { throw cannotDecide }
        if summary.failed > 0 { throw notConformant }
    }

    private func makeCandidate() throws -> any Candidate {
        if reference { return ReferenceCandidate(profile: profile ?? .current) }
        return try ProcessCandidateFactory.make(command: candidate!, profile: profile, timeout: timeout)
    }

    private func selectedChecks(for profile: Profile) throws -> [any ConformanceCheck] {
        var checks = [any ConformanceCheck]()
        for path in try golden.files(for: profile) {
            checks += GoldenReplayCheck.checks(for: try GoldenLoading.load(path))
        }
        guard !onlyChecks.isEmpty else { return checks }
        let known = Set(checks.map(\.id))
        if let unknown = onlyChecks.first(where: { !known.contains($0) }) {
            throw ValidationError("No check has the id '\(unknown)' under \(profile).")
        }
        return checks.filter { onlyChecks.contains($0.id) }
    }

    /// The one-line command that reruns a check against the same candidate.
    private func reproduction(check: String, profile: Profile) -> String {
        let target = reference ? "--reference" : "--candidate \(shellQuoted(candidate ?? ""))"
        return "gnll verify \(target) --profile \(profile) --seed \(seed) --check \(check)"
    }

    private func printResult(_ result: CheckResult) {
        switch result.status {
        case .passed, .skipped:
            return
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
