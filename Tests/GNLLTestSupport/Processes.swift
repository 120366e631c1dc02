internal import Conformance
public import Foundation

/// What a program printed and how it ended.
public struct ProcessOutcome: Sendable {
    /// The exit status, the signal number for a program ended by a signal, or -1 when it was killed for taking
    /// longer than its time limit.
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Standard output, then standard error.
    public var output: String { stdout + stderr }
}

/// Runs a program to its end with no standard input, reading its standard output and error as it runs, and
/// kills it after `timeout` seconds. With `signalAfter`, sends it `signal` (SIGTERM by default) after that many
/// seconds, or as soon as `signalWhen` is true (it is asked every 10 ms).
public func runProcess(
    _ executable: URL, _ arguments: [String], currentDirectory: URL? = nil, environment: [String: String]? = nil,
    timeout: TimeInterval = 300, signalAfter: TimeInterval? = nil, signalWhen: (() -> Bool)? = nil,
    signal: Int32 = SIGTERM
) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Drained on their own threads, so that a chatty program never blocks on a full pipe.
    let stdout = Background { out.fileHandleForReading.readDataToEndOfFile() }
    let stderr = Background { err.fileHandleForReading.readDataToEndOfFile() }
    let started = Date()
    var signalled = false
    var timedOut = false
    while process.isRunning {
        let elapsed = Date().timeIntervalSince(started)
        if !signalled, signalAfter.map({ elapsed >= $0 }) ?? false || signalWhen?() ?? false {
            kill(process.processIdentifier, signal)
            signalled = true
        }
        if elapsed >= timeout {
            kill(process.processIdentifier, SIGKILL)
            timedOut = true
            break
        }
        Thread.sleep(forTimeInterval: 0.01)
    }
    process.waitUntilExit()
    var outcome = ProcessOutcome(
        status: timedOut ? -1 : process.terminationStatus,
        stdout: String(decoding: stdout.result.get(), as: UTF8.self),
        stderr: String(decoding: stderr.result.get(), as: UTF8.self))
    if timedOut { outcome.stderr += "\n(killed after \(timeout) s)" }
    return outcome
}

/// The ids of the running processes whose command line contains `text` (zombies excluded).
public func processes(withCommandLineContaining text: String) -> [Int32] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return names.compactMap { name -> Int32? in
        guard let pid = Int32(name), pid != getpid(),
            let commandLine = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"),
            let status = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
            !status.contains(") Z ")
        else { return nil }
        return String(decoding: commandLine.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text) ? pid : nil
    }
}

/// Waits up to `timeout` seconds for no process to have `text` in its command line; returns the ids still
/// running then.
public func waitForNoProcesses(withCommandLineContaining text: String, timeout: TimeInterval = 5) -> [Int32] {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let left = processes(withCommandLineContaining: text)
        if left.isEmpty || Date() >= deadline { return left }
        Thread.sleep(forTimeInterval: 0.05)
    }
}
