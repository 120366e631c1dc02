import Foundation

/// External programs the tests use, and whether they are installed.
enum ExternalTool {
    /// The full path of a program on PATH, or `nil`.
    static func path(of name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let xmllint = path(of: "xmllint")
    static let chromium = path(of: "chromium") ?? path(of: "chromium-browser")
    /// A python3 that can import jsonschema: the one on PATH, else Debian's (python3-jsonschema).
    static let python3: String? = {
        var candidates = [path(of: "python3"), "/usr/bin/python3"].compactMap { $0 }
        candidates = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
        return candidates.first { (try? run($0, ["-c", "import jsonschema"]))?.status == 0 }
    }()
    static var hasJSONSchema: Bool { python3 != nil }

    /// What a program printed and how it ended.
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs a program to its end (killing it after `timeout` seconds), with stdout and stderr together.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("reporting-tests-\(UUID()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return Outcome(
                status: -1, output: "timed out after \(timeout) s: " + (try String(contentsOf: log, encoding: .utf8)))
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}

/// A folder for one test's files, under one folder per test process that is removed when the process
/// exits; `GNLL_REPORTING_ARTIFACTS` names a folder to keep them in instead (to look at the HTML and its
/// screenshot).
func artifactsFolder(_ name: String) throws -> URL {
    let folder = ArtifactsBase.url.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

private enum ArtifactsBase {
    static let kept = ProcessInfo.processInfo.environment["GNLL_REPORTING_ARTIFACTS"]
    static let temporary = FileManager.default.temporaryDirectory
        .appendingPathComponent("reporting-tests-\(ProcessInfo.processInfo.processIdentifier)")

    static let url: URL = {
        if let kept { return URL(fileURLWithPath: kept) }
        atexit { try? FileManager.default.removeItem(at: ArtifactsBase.temporary) }
        return temporary
    }()
}

/// A fixture file of this test target.
func fixture(_ name: String) throws -> URL {
    guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures"])
    }
    return folder.appendingPathComponent(name)
}
