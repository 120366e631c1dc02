public import ArgumentParser
import CandidateProcess
public import Conformance
import Foundation
public import GaussianNLL
import GoldenReplay
import Verification

extension Profile: ExpressibleByArgument {}
extension Budget: ExpressibleByArgument {}

/// Where the golden files are.
struct GoldenDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("golden-dir"),
        help: """
            The folder with the golden files (default: $GNLL_GOLDEN_DIR, else the one installed with gnll, \
            else ./golden).
            """)
    var directory: String?

    var path: String {
        directory ?? ProcessInfo.processInfo.environment["GNLL_GOLDEN_DIR"] ?? Self.installedFolder ?? "golden"
    }

    /// The golden folder installed with the binary, as the wheel lays it out: `golden` beside the folder that
    /// holds the executable (`gnll/bin/gnll`, `gnll/golden`). nil where there is none, as in a source tree
    /// (`.build/release/gnll`).
    static let installedFolder: String? = {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        let folder = executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("golden")
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        return exists && isDirectory.boolValue ? folder.path : nil
    }()

    /// The folder, its files read by a child process first (``GoldenLoading``).
    var folder: GoldenFolder { GoldenFolder(path: path, loader: GoldenLoading.isolated) }

    /// The golden files in the folder, by name.
    func files() throws -> [String] { try folder.files() }
}

/// `--expected-failures FILE` and `--fix-expected-failures`, for `gnll verify` and `gnll report gate`.
struct ExpectedFailuresOptions: ParsableArguments {
    @Option(
        name: .customLong("expected-failures"),
        help: "A list of check ids expected to fail, one per line, '#' for the reason (see README).")
    var path: String?

    @Flag(
        name: .customLong("fix-expected-failures"),
        help: "Rewrite the list to match the results: remove entries that pass, add checks that fail.")
    var fix = false

    func validate() throws {
        if fix && path == nil { throw ValidationError("--fix-expected-failures needs --expected-failures FILE.") }
    }

    /// The list (empty without `--expected-failures`); a missing file is an empty list when it is to be fixed.
    func read() throws -> ExpectedFailures {
        guard let path else { return ExpectedFailures() }
        return try readExpectedFailures(path, missingIsEmpty: fix)
    }
}

/// What a command runs against: a protocol candidate's command line, or the bundled reference.
struct CandidateOptions: ParsableArguments {
    @Option(name: .long, help: "The candidate's command line, run with /bin/sh -c.")
    var candidate: String?

    @Flag(name: .long, help: "Use the bundled reference, in this process, instead of a candidate.")
    var reference = false

    @Option(
        name: .long, parsing: .unconditional,
        help: "Seconds a candidate may take for one case before it counts as hung (0.001 to 86400).")
    var timeout: Double = 10

    @Option(
        name: .customLong("start-timeout"), parsing: .unconditional,
        help: "Seconds a candidate may take to start and answer the handshake, 0.001 to 86400 (importing can be slow).")
    var startTimeout: Double = 60

    /// The range of `--timeout` and `--start-timeout`: a millisecond to a day.
    static let timeoutRange = 0.001...86_400.0

    func validate() throws {
        guard (candidate != nil) != reference else {
            throw ValidationError("Give exactly one of --candidate CMD or --reference.")
        }
        try requireRange(timeout, Self.timeoutRange, option: "--timeout")
        try requireRange(startTimeout, Self.timeoutRange, option: "--start-timeout")
    }

    /// The candidate: its process started and greeted (throws a `CandidateFault` when it cannot start), or the
    /// reference under `profile` (default: the current).
    func make(profile: Profile?) throws -> any Candidate {
        guard let candidate else { return ReferenceCandidate(profile: profile ?? .current) }
        var options = ProcessCandidate.Options()
        options.caseTimeout = .seconds(timeout)
        options.startTimeout = .seconds(startTimeout)
        options.profile = profile
        return try ProcessCandidate(command: candidate, options: options)
    }

    /// The option that names this candidate on a command line that reruns against it.
    var commandLineArgument: String {
        reference ? "--reference" : "--candidate \(shellQuoted(candidate ?? ""))"
    }
}

/// Throws a usage error naming `option` unless `value` is finite and within `range`.
func requireRange<Value: Comparable & CustomStringConvertible>(
    _ value: Value, _ range: ClosedRange<Value>, option: String
) throws {
    guard !range.contains(value) else { return }
    throw ValidationError("\(option) must be from \(range.lowerBound) to \(range.upperBound), not \(value).")
}

/// A seed from the command line: an integer from 0 to 2^64 - 1, or a usage error that says so.
func parseSeed(_ text: String) throws -> UInt64 {
    guard let seed = UInt64(text) else {
        throw ValidationError("--seed must be an integer from 0 to \(UInt64.max), not \(text).")
    }
    return seed
}
