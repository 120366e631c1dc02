import ArgumentParser
import Dispatch
import Foundation
import Fuzzing
import GaussianNLL
import Judge

/// `gnll fuzz`: differential fuzzing of a candidate against the oracle.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz an implementation: mutate calls bit by bit and shape by shape, and judge every answer.",
        discussion: """
            Starts from simple valid calls in every dtype and var form and mutates them: extreme exponents, \
            subnormals, NaN payloads, signed zeros, values next to eps in var's dtype, empty and unit \
            extents, rank changes, var forms, reduction strings, and eps values from 0 and negative to tiny \
            and huge. Calls go to the candidate in batches; each answer is judged against the oracle under \
            the tolerance model, as `gnll verify` judges.

            Each kind of failure (the output or error that is wrong, and the case's var form, reduction and \
            emptiness) is shrunk and saved once, as a self-contained JSON reproducer in --out, under a name \
            derived from the kind; `gnll replay FILE --candidate CMD` reruns it. A run with one seed sends \
            the same cases to a deterministic candidate every time.

            Progress goes to stderr: one refreshing line on a terminal, a line every 10 seconds otherwise. \
            SIGINT, SIGTERM or SIGHUP stops after the batch in flight and reports; a second one, or one \
            while the candidate starts, ends gnll at once (exit 128 + the signal's number).

            Exit codes: 0 no failure, 1 failures found, 2 usage error or an infrastructure error (a \
            candidate that cannot start, a folder that cannot be written).
            """)

    @OptionGroup var candidateOptions: CandidateOptions

    @Option(name: .long, help: "The profile to judge under (default: the one the candidate declares).")
    var profile: Profile?

    @Option(name: .long, parsing: .unconditional, help: "How long to fuzz, in seconds (0.001 to 10000000).")
    var seconds: Double = 60

    @Option(
        name: .long, parsing: .unconditional, help: "Stop after this many cases (default: no limit but --seconds).")
    var cases: Int?

    @Option(
        name: .long, parsing: .unconditional, help: "The seed (0 to 2^64 - 1; default: a random one, printed).",
        transform: parseSeed)
    var seed: UInt64?

    @Option(name: .long, help: "The folder for reproducers, created if missing.")
    var out: String = ".gnll/fuzz"

    @Option(name: .long, parsing: .unconditional, help: "Cases sent to the candidate at once (1 to 4096).")
    var batch: Int = 64

    func validate() throws {
        try requireRange(seconds, 0.001...10_000_000, option: "--seconds")
        try requireRange(batch, 1...4096, option: "--batch")
        if let cases { try requireRange(cases, 1...Int.max, option: "--cases") }
    }

    func run() throws {
        // Before the candidate starts: a signal then ends gnll at once, with the candidate killed.
        let fuzzing = NSLock()
        nonisolated(unsafe) var batchesRunning = false
        let stop = Interruption { signal, earlier in
            // The first signal while fuzzing finishes the batch in flight; any other ends gnll now.
            guard earlier > 0 || !fuzzing.withLock({ batchesRunning }) else { return }
            Interruption.exit(after: signal, message: "interrupted")
        }
        defer { withExtendedLifetime(stop) {} }
        let target: any Candidate
        do {
            target = try candidateOptions.make(profile: profile)
        } catch {
            // A signal that killed the candidate as it started is the reason, and its handler ends gnll.
            if stop.requested { Interruption.waitForExit() }
            throw CommandFailure("\(error)")
        }
        defer { target.close() }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create \(out): \(error)")
        }
        let profile = self.profile ?? target.info.profile
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let fuzzer = DifferentialFuzzer(
            candidate: target,
            configuration: .init(profile: profile, seed: seed, batchSize: batch, outputDirectory: out))
        printError(
            "fuzzing \(target.info.name) \(target.info.version) under \(profile) for \(Self.format(seconds)) s, "
                + "seed \(seed); reproducers in \(out)")

        fuzzing.withLock { batchesRunning = true }
        let line = FuzzProgressLine(terminal: isatty(STDERR_FILENO) == 1, seconds: seconds)
        let summary = fuzzer.run(
            limit: .init(cases: cases, duration: .seconds(seconds)), progress: line.update,
            shouldStop: { stop.requested })
        line.finish(summary.progress)

        let progress = summary.progress
        print(
            "\(progress.cases) cases in \(Self.format(progress.elapsed.seconds)) s "
                + "(\(Int(progress.casesPerSecond.rounded())) cases/s), \(progress.skipped) skipped, "
                + "\(progress.failingCases) failing, \(progress.distinctFailures) distinct failure(s); seed \(seed)")
        for failure in summary.failures {
            print("FAIL \(failure.signature) (\(failure.occurrences) case\(failure.occurrences == 1 ? "" : "s"))")
            if let finding = failure.judgement.findings.first { print("  \(finding)") }
            if let path = failure.path {
                print("  reproducer: \(path)")
                let target = candidateOptions.commandLineArgument
                print("  replay: gnll replay \(shellQuoted(path)) \(target) --profile \(profile)")
            }
        }
        for error in summary.writeErrors { printError("error: \(error)") }
        if !summary.writeErrors.isEmpty { throw cannotDecide }
        if stop.requested { printError("interrupted") }
        if progress.failingCases > 0 { throw notConformant }
    }

    static func format(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.1f", seconds) : String(Int(seconds.rounded()))
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Progress on stderr: one line redrawn in place on a terminal, else a line every 10 seconds.
final class FuzzProgressLine {
    private let terminal: Bool
    private let seconds: Double
    private var lastDrawn = -Double.infinity

    init(terminal: Bool, seconds: Double) {
        self.terminal = terminal
        self.seconds = seconds
    }

    func update(_ progress: FuzzProgress) {
        let elapsed = progress.elapsed.seconds
        guard elapsed - lastDrawn >= (terminal ? 0.1 : 10) else { return }
        lastDrawn = elapsed
        let text = describe(progress)
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        } else {
            printError(text)
        }
    }

    func finish(_ progress: FuzzProgress) {
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K\(describe(progress))\n".utf8)) }
    }

    private func describe(_ progress: FuzzProgress) -> String {
        let left = max(0, seconds - progress.elapsed.seconds)
        return "\(progress.cases) cases, \(Int(progress.casesPerSecond.rounded()))/s, "
            + "\(progress.distinctFailures) failure(s) in \(progress.failingCases) case(s), "
            + "\(Fuzz.format(left)) s left"
    }
}
