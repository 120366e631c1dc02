import ArgumentParser
import GaussianNLL

/// `gnll serve`: the reference as a protocol candidate on stdin/stdout.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the reference (or a named mutant of it) as a candidate on stdin/stdout.")

    @Option(name: .long, help: "The profile to declare and follow.")
    var profile: Profile = .current

    func run() throws {
        throw ValidationError("serve is not available in this build")
    }
}
