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
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
        return names.filter { $0.hasSuffix(".h5") }.sorted().map { "\(path)/\($0)" }
    }

    /// The golden files that record a profile.
    func files(for profile: Profile) throws -> [String] {
        try files().filter { try GoldenLoading.profile(ofFileAt: $0) == profile }
    }
}
