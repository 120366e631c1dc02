import ArgumentParser
import Foundation
import Fuzzing
import GaussianNLL
import Judge

/// `gnll replay`: rerun a reproducer that `gnll fuzz` saved.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rerun a reproducer from `gnll fuzz` and print the verdict.",
        discussion: """
            Sends the reproducer's case to the candidate and judges the answer under the reproducer's \
            profile (or --profile), as `gnll fuzz` did.

            Exit codes: 0 the case conforms now, 1 it still fails, 2 usage error, a reproducer that cannot \
            be read, a candidate that cannot start, or a case the candidate does not support; 128 + the \
            signal's number on SIGINT, SIGTERM or SIGHUP, with the candidate killed.
            """)

    @Argument(help: "The reproducer file.")
    var file: String

    @OptionGroup var candidateOptions: CandidateOptions

    @Option(name: .long, help: "The profile to judge under (default: the reproducer's).")
    var profile: Profile?

    func run() throws {
        let reproducer: Reproducer
        do {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ReproducerError(message: "no such file")
            }
            reproducer = try Reproducer.read(from: file)
        } catch {
            throw CommandFailure("cannot read \(file): \(error)")
        }
        let profile = self.profile ?? reproducer.profile
        // A signal ends gnll at once, with the candidate killed.
        let interruption = Interruption { signal, _ in Interruption.exit(after: signal, message: "interrupted") }
        defer { withExtendedLifetime(interruption) {} }
        let target: any Candidate
        do {
            target = try candidateOptions.make(profile: profile)
        } catch {
            throw CommandFailure("\(error)")
        }
        defer { target.close() }
        let result: ReplayResult
        do {
            result = try reproducer.replay(against: target, profile: profile)
        } catch {
            throw CommandFailure("the case in \(file) does not decode: \(error)")
        }
        print("recorded: \(reproducer.signature) against \(reproducer.candidate.name) \(reproducer.candidate.version)")
        switch result.judgement.status {
        case .passed:
            print("PASS: the case conforms under \(profile)")
        case .skipped:
            print("SKIPPED: \(result.judgement.findings.joined(separator: "; "))")
            throw cannotDecide
        case .failed:
            let signature = result.signature.map { "\($0)" } ?? "failed"
            let same = result.signature == reproducer.signature ? "" : " (recorded: \(reproducer.signature))"
            print("FAIL \(signature)\(same)")
            for finding in result.judgement.findings { print("  \(finding)") }
            throw notConformant
        }
    }
}
