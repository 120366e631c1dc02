import ArgumentParser
import Foundation
import GaussianNLL
import GoldenFiles

/// Reads golden files so that a malformed one can never crash or hang `gnll`.
///
/// libhdf5 itself can crash or hang on corrupted metadata, which no check in this process can prevent. So a
/// file is first read in a child process (`gnll golden probe FILE`); only when that child reads it cleanly
/// is it read here.
enum GoldenLoading {
    /// How long the child may take.
    static let probeTimeout: TimeInterval = 120

    static func load(_ path: String) throws -> GoldenFile {
        try probe(path)
        return try GoldenFile(path: path)
    }

    static func profile(ofFileAt path: String) throws -> Profile {
        try probe(path, headerOnly: true)
        return try GoldenFile.profile(ofFileAt: path)
    }

    /// Reads the file in a child process; throws a clear error when the child crashes, hangs or fails.
    static func probe(_ path: String, headerOnly: Bool = false) throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["golden", "probe", path] + (headerOnly ? ["--header-only"] : [])
        let errors = Pipe()
        child.standardError = errors
        child.standardOutput = FileHandle.nullDevice
        try child.run()
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
            return
        }
    }
}

/// `gnll golden probe FILE`: read a golden file completely and exit 0, or print why not and exit 2.
struct GoldenProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Read a golden file completely (used to isolate the HDF5 library).",
        shouldDisplay: false)

    @Argument var path: String

    @Flag(help: "Read only the root attributes.")
    var headerOnly = false

    func run() throws {
        do {
            if headerOnly {
                _ = try GoldenFile.profile(ofFileAt: path)
            } else {
                _ = try GoldenFile(path: path)
            }
        } catch {
            printError("\(error)")
            throw cannotDecide
        }
    }
}
