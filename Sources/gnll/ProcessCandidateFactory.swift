import CandidateProcess
import GaussianNLL
import Glibc

extension ProcessCandidate: ClosableCandidate {
    /// Kills the candidate's process group.
    func kill() {
        if let processID { _ = Glibc.kill(-processID, SIGKILL) }
    }
}

/// Starts protocol candidates.
enum ProcessCandidateFactory {
    /// Starts `/bin/sh -c command` and does the handshake; throws a `CandidateFault` when it cannot start.
    static func make(command: String, profile: Profile?, timeout: Double, startTimeout: Double) throws -> any Candidate
    {
        var options = ProcessCandidate.Options()
        options.caseTimeout = .milliseconds(Int64(timeout * 1000))
        options.startTimeout = .milliseconds(Int64(startTimeout * 1000))
        options.profile = profile
        return try ProcessCandidate(command: command, options: options)
    }
}
