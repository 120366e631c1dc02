import CandidateProcess
import GaussianNLL

extension ProcessCandidate: ClosableCandidate {}

/// Starts protocol candidates.
enum ProcessCandidateFactory {
    /// Starts `/bin/sh -c command` and does the handshake; throws a `CandidateFault` when it cannot start.
    static func make(command: String, profile: Profile?, timeout: Double) throws -> any Candidate {
        var options = ProcessCandidate.Options()
        options.caseTimeout = .milliseconds(Int64(timeout * 1000))
        options.profile = profile
        return try ProcessCandidate(command: command, options: options)
    }
}
