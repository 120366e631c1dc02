public import ArgumentParser
public import Conformance
import Foundation
public import GaussianNLL
import GoldenFiles

extension Profile: ExpressibleByArgument {}
extension Budget: ExpressibleByArgument {}

/// Where the golden files are.
struct GoldenDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("golden-dir"),
        help: "The folder with the golden files (default: $GNLL_GOLDEN_DIR, else ./golden).")
    var directory: String?

    var path: String { directory ?? ProcessInfo.processInfo.environment["GNLL_GOLDEN_DIR"] ?? "golden" }

    /// The golden files in the folder, by name.
    func files() throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let reason =
                !exists ? "it does not exist" : isFolder.boolValue ? "it cannot be listed" : "it is not a folder"
            throw GoldenDirectoryError(path: path, reason: reason)
        }
        return names.filter { $0.hasSuffix(".h5") }.sorted().map { "\(path)/\($0)" }
    }

    /// The golden files that record a profile.
    func files(for profile: Profile) throws -> [String] {
        try files().filter { try GoldenLoading.profile(ofFileAt: $0) == profile }
    }
}

/// A golden folder that cannot be listed.
struct GoldenDirectoryError: Error, CustomStringConvertible {
    let path: String
    let reason: String

    var description: String {
        "cannot read the golden folder \(path): \(reason) (give --golden-dir or set GNLL_GOLDEN_DIR)"
    }
}

/// What a command runs against: a protocol candidate's command line, or the bundled reference.
struct CandidateOptions: ParsableArguments {
    @Option(name: .long, help: "The candidate's command line, run with /bin/sh -c.")
    var candidate: String?

    @Flag(name: .long, help: "Use the bundled reference, in this process, instead of a candidate.")
    var reference = false

    @Option(name: .long, help: "Seconds a candidate may take for one case before it counts as hung.")
    var timeout: Double = 10

    @Option(
        name: .customLong("start-timeout"),
        help: "Seconds a candidate may take to start and answer the handshake (importing a framework can be slow).")
    var startTimeout: Double = 60

    func validate() throws {
        guard (candidate != nil) != reference else {
            throw ValidationError("Give exactly one of --candidate CMD or --reference.")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
        guard startTimeout > 0 else { throw ValidationError("--start-timeout must be positive.") }
    }

    /// The candidate: its process started and greeted, or the reference under `profile` (default: the current).
    func make(profile: Profile?) throws -> any Candidate {
        guard let candidate else { return ReferenceCandidate(profile: profile ?? .current) }
        return try ProcessCandidateFactory.make(
            command: candidate, profile: profile, timeout: timeout, startTimeout: startTimeout)
    }

    /// The option that names this candidate on a command line that reruns against it.
    var commandLineArgument: String {
        reference ? "--reference" : "--candidate \(shellQuoted(candidate ?? ""))"
    }
}
