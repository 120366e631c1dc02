import Foundation
import GNLLTestSupport

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

    /// Runs a program to its end (killing it after `timeout` seconds).
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> ProcessOutcome {
        try runProcess(URL(fileURLWithPath: executable), arguments, timeout: timeout)
    }
}

/// A fixture file of this test target.
func fixture(_ name: String) throws -> URL {
    guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures"])
    }
    return folder.appendingPathComponent(name)
}
