import ArgumentParser
import CandidateProtocol
import GaussianNLL

/// `gnll serve`: the reference as a protocol candidate on stdin/stdout.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the reference as a candidate on stdin/stdout (the candidate protocol, version 1).",
        discussion: """
            Reads one JSON request per line from stdin and answers on stdout, until {"op":"bye"} or the end of \
            input. Use it to check a harness or an adapter, or as the candidate of `gnll verify`:
              gnll verify --candidate "gnll serve"
            """)

    @Option(name: .long, help: "The profile to declare and follow.")
    var profile: Profile = .current

    func run() throws {
        let server = ProtocolServer(candidate: ReferenceCandidate(profile: profile))
        do {
            _ = try server.run()
        } catch {
            printError("error: \(error)")
            throw cannotDecide
        }
    }
}
