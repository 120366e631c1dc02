internal import Glibc

extension ProcessCandidate {
    /// Kills the candidate's whole process group at once; safe from any thread (a signal handler calls it).
    public func kill() {
        if let processID { _ = Glibc.kill(-processID, SIGKILL) }
    }
}
