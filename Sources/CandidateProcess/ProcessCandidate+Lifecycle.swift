extension ProcessCandidate {
    /// Kills every candidate process this process has started and not yet ended, their process groups, and
    /// the descendants that left the groups; safe from any thread (a signal handler calls it).
    ///
    /// The processes are not reaped: call it on the way out.
    public static func killAll() {
        CandidateProcesses.killAll()
    }
}
