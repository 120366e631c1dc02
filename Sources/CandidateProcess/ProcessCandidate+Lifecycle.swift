#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

extension ProcessCandidate {
    /// Kills the candidate's whole process group at once; safe from any thread (a signal handler calls it).
    public func kill() {
        if let processID { _ = killProcessGroup(processID) }
    }
}

/// `kill(-group, SIGKILL)`: the C function, which ``ProcessCandidate/kill()`` hides inside the type.
private func killProcessGroup(_ group: pid_t) -> Int32 {
    kill(-group, SIGKILL)
}
