import ArgumentParser
import CandidateProtocol
import GaussianNLL
import Mutants

/// `gnll serve`: the reference as a protocol candidate on stdin/stdout.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the reference, or a mutant of it, as a candidate on stdin/stdout (candidate protocol 1 or 2).",
        discussion: """
            Reads one JSON request per line from stdin and answers on stdout, until {"op":"bye"} or the end of \
            input. Use it to check a harness or an adapter, or as the candidate of `gnll verify`:
              gnll verify --candidate "gnll serve"
            --mutant NAME serves one of the built-in plausible wrong implementations instead (`gnll mutants` lists \
            them); the suite must reject every one. --protocol 1 makes it a protocol 1 candidate (float dtypes only,             no protocol 2 calls), to see how a harness treats one.
            """)

    @Option(name: .long, help: "The profile to declare and follow.")
    var profile: Profile = .current

    @Option(name: .long, help: "Serve this mutant of the reference (see `gnll mutants`).")
    var mutant: String?

    @Option(name: .customLong("protocol"), help: "The newest candidate protocol version to speak: 1 or 2.")
    var protocolVersion: Int = CandidateInfo.latestProtocolVersion

    func validate() throws {
        guard ProtocolMessages.versions.contains(protocolVersion) else {
            throw ValidationError("--protocol must be 1 or 2, not \(protocolVersion).")
        }
    }

    func run() throws {
        let candidate: any Candidate
        if let mutant {
            guard let chosen = Mutant(rawValue: mutant) else {
                throw ValidationError("No mutant is named '\(mutant)'; `gnll mutants` lists them.")
            }
            candidate = MutantCandidate(chosen, profile: profile)
        } else {
            candidate = ReferenceCandidate(profile: profile)
        }
        let server = ProtocolServer(candidate: candidate, newestProtocolVersion: protocolVersion)
        do {
            _ = try server.run()
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
