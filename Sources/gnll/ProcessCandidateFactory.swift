import GaussianNLL

/// Starts protocol candidates (wired to CandidateProcess).
enum ProcessCandidateFactory {
    static func make(command: String, profile: Profile?, timeout: Double) throws -> any Candidate {
        throw CandidateFault(kind: .startFailed, message: "protocol candidates are not available in this build")
    }
}
