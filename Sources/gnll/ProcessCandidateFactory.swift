import CandidateProcess
import Dispatch
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

/// A value computed on another thread while this one goes on; ``result`` waits for it.
final class Background<Value>: @unchecked Sendable {
    // Written by the worker before it signals, read after `wait` returns.
    private var value: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> Value) {
        nonisolated(unsafe) let body = body
        DispatchQueue.global().async { [self] in
            value = Result { try body() }
            done.signal()
        }
    }

    var result: Result<Value, any Error> {
        done.wait()
        done.signal()
        return value!
    }
}
