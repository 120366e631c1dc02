public import Conformance
internal import Foundation
public import GaussianNLL
public import GoldenFiles

/// How golden files are read: in this process, or by a caller that isolates the HDF5 library (`gnll` reads
/// each file in a child process first, since libhdf5 itself can crash or hang on a corrupted file).
public struct GoldenFileLoader: Sendable {
    /// The profile a file records (its root attributes only).
    public var profile: @Sendable (_ path: String) throws -> Profile
    /// The whole file.
    public var load: @Sendable (_ path: String) throws -> GoldenFile

    public init(
        profile: @escaping @Sendable (_ path: String) throws -> Profile,
        load: @escaping @Sendable (_ path: String) throws -> GoldenFile
    ) {
        self.profile = profile
        self.load = load
    }

    /// Reads files in this process, with the reader's bounds and clear errors, but no protection from a crash
    /// of libhdf5 itself.
    public static let inProcess = GoldenFileLoader(
        profile: { try GoldenFile.profile(ofFileAt: $0) }, load: { try GoldenFile(path: $0) })
}

/// A folder of golden files (`*.h5`), such as the repository's `golden/`.
public struct GoldenFolder: Sendable {
    public var path: String
    public var loader: GoldenFileLoader

    public init(path: String, loader: GoldenFileLoader = .inProcess) {
        self.path = path
        self.loader = loader
    }

    /// The golden files in the folder, by name.
    ///
    /// - Throws: ``GoldenFolderError`` when the folder does not exist, is not a folder or cannot be listed.
    public func files() throws(GoldenFolderError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let reason =
                !exists ? "it does not exist" : isFolder.boolValue ? "it cannot be listed" : "it is not a folder"
            throw GoldenFolderError(path: path, reason: reason)
        }
        return names.filter { $0.hasSuffix(".h5") }.sorted().map { "\(path)/\($0)" }
    }

    /// The golden files that record a profile.
    public func files(for profile: Profile) throws -> [String] {
        try files().filter { try loader.profile($0) == profile }
    }
}

/// A golden folder that cannot be listed.
public struct GoldenFolderError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "cannot read the golden folder \(path): \(reason) (give --golden-dir or set GNLL_GOLDEN_DIR)"
    }
}

/// Golden replay as a source of checks: one ``GoldenReplayCheck`` per category of each golden file that
/// records the run's profile.
///
/// ```swift
/// let golden = GoldenReplaySource(folder: GoldenFolder(path: "golden"))
/// let checks = try golden.checks(for: .torch2_10)   // golden.errors, golden.eps, …
/// ```
public struct GoldenReplaySource: CheckSource {
    public var folder: GoldenFolder

    public init(folder: GoldenFolder) {
        self.folder = folder
    }

    /// Every golden check's id starts with `golden.`.
    public func ownsCheck(id: String) -> Bool { id.hasPrefix("golden.") }

    /// The checks of every golden file that records the profile; when there is none, the one check
    /// ``MissingGoldenCheck``, which does not run, so that a run without golden replay is never conformant
    /// unnoticed.
    public func checks(for profile: Profile) throws -> [any ConformanceCheck] {
        let checks = try folder.files(for: profile).flatMap {
            GoldenReplayCheck.checks(for: try folder.loader.load($0))
        }
        return checks.isEmpty ? [MissingGoldenCheck(folder: folder.path, profile: profile)] : checks
    }
}

/// Stands for golden replay when no golden file in the folder records the run's profile: it judges no case and
/// says why, so the run is not conformant unless golden replay is left out on purpose (`gnll verify
/// --no-golden`, or no ``GoldenReplaySource`` at all) or an expected-failures entry names `golden.files`.
public struct MissingGoldenCheck: ConformanceCheck {
    public let id = "golden.files"
    public let category = "golden"
    public let title = "PyTorch's recorded outcomes of the profile are replayed from a golden file"
    public let folder: String
    public let profile: Profile

    public init(folder: String, profile: Profile) {
        self.folder = folder
        self.profile = profile
    }

    public func run(in context: CheckContext) -> CheckResult {
        var result = CheckResult(id: id, category: category, title: title)
        result.finish(
            notRunReason: "no golden file in \(folder) records \(profile), so no recorded PyTorch outcome was replayed"
                + " (give --golden-dir, or --no-golden to verify without golden replay)")
        return result
    }
}
