import ArgumentParser
import Conformance
import Foundation
import GaussianNLL
import GoldenFiles
import GoldenReplay
import Synchronization

/// Reads golden files so that a malformed one can never crash or hang `gnll`.
///
/// libhdf5 itself can crash or hang on corrupted metadata, which no check in this process can prevent. So a
/// file is read in a child process (`gnll golden probe FILE`), which hands the cases back
/// (``GoldenFile/transferEncoded()``); this process never opens a golden file before a child has read it
/// cleanly.
enum GoldenLoading {
    /// How long the child may take.
    static let probeTimeout: TimeInterval = 120

    /// The children reading a file now.
    private static let running = Mutex<Set<pid_t>>([])

    /// Kills every child reading a file now; safe from any thread (a signal handler calls it).
    static func killRunning() {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }

    /// The loader that golden replay uses in `gnll`.
    static let isolated = GoldenFileLoader(profile: profile(ofFileAt:), load: load)

    static func load(_ path: String) throws -> GoldenFile {
        let contents = try probe(path, handBack: true)
        return try GoldenFile(transferEncoded: contents, source: path)
    }

    static func profile(ofFileAt path: String) throws -> Profile {
        try probe(path, headerOnly: true)
        return try GoldenFile.profile(ofFileAt: path)
    }

    /// Reads the file in a child process and returns what it wrote to stdout: the file's contents when
    /// `handBack` is set. Throws a clear error when the child crashes, hangs or fails.
    @discardableResult
    static func probe(_ path: String, headerOnly: Bool = false, handBack: Bool = false) throws -> [UInt8] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments =
            ["golden", "probe", path] + (headerOnly ? ["--header-only"] : []) + (handBack ? ["--hand-back"] : [])
        let errors = Pipe()
        let output = Pipe()
        child.standardError = errors
        child.standardOutput = output
        try child.run()
        let pid = child.processIdentifier
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }
        // Drained while the child runs, so that it never blocks on a full pipe.
        let reading = Background { [UInt8](output.fileHandleForReading.readDataToEndOfFile()) }
        let deadline = Date().addingTimeInterval(probeTimeout)
        while child.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            throw GoldenFileError(
                path: path, object: "/", message: "reading it hung the HDF5 library for \(Int(probeTimeout)) s")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        switch child.terminationReason {
        case .uncaughtSignal:
            throw GoldenFileError(
                path: path, object: "/",
                message:
                    "reading it crashed the HDF5 library (signal \(child.terminationStatus)): the file is malformed")
        case .exit where child.terminationStatus != 0:
            throw GoldenFileError(path: path, object: "/", message: message.isEmpty ? "unreadable" : message)
        default:
            return reading.result.get()
        }
    }
}
