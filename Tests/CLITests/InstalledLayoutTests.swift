import Foundation
import GNLLTestSupport
import Testing

/// `gnll` as the wheel installs it: its version, and the golden files installed beside it.
@Suite("gnll as installed by the wheel")
struct InstalledLayoutTests {
    @Test("--version prints __version__ of the Python package, the one place it is set")
    func version() throws {
        let source = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tools/candidates/gnll/__init__.py"), encoding: .utf8)
        let line = source.split(separator: "\n").first { $0.hasPrefix("__version__ = \"") }
        let expected = try #require(line).dropFirst("__version__ = \"".count).dropLast()
        let run = try gnll(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout == "\(expected)\n")
    }

    @Test("The golden folder beside the binary's folder is the default; without one it is ./golden")
    func installedGoldenFolder() throws {
        // The wheel's layout: gnll/bin/gnll and gnll/golden, run from a folder that has no golden/ of its own.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gnll-installed-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let bin = root.appendingPathComponent("gnll/bin")
        let elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: productsDirectory.appendingPathComponent("gnll"), to: bin.appendingPathComponent("gnll"))
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("gnll/golden"),
            withDestinationURL: repositoryRoot.appendingPathComponent("golden"))
        var environment = ProcessInfo.processInfo.environment
        environment["GNLL_GOLDEN_DIR"] = nil
        let arguments = ["verify", "--reference", "--check", "golden.errors"]

        let installed = try runProcess(
            bin.appendingPathComponent("gnll"), arguments, currentDirectory: elsewhere, environment: environment)
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.stdout.hasSuffix("1 passed, 0 failed, 0 errors, 0 not run\n"), "\(installed.output)")

        let built = try runProcess(
            productsDirectory.appendingPathComponent("gnll"), arguments, currentDirectory: elsewhere,
            environment: environment)
        #expect(built.status == 2)
        #expect(built.stderr.contains("cannot read the golden folder golden: it does not exist"), "\(built.stderr)")
    }
}
