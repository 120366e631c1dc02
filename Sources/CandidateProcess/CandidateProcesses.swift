import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every candidate process this process has started and not yet ended, with everything each one started, so
/// that they can be killed one candidate at a time or all at once (on a signal).
///
/// A candidate runs in its own process group, and is started with `GNLL_CANDIDATE=<pid>.<n>` in its
/// environment, which its descendants inherit. Ending a candidate kills its group, then every process whose
/// environment holds its marker (read from `/proc/PID/environ`), so that a helper that left the group with
/// `setsid` or a double fork does not outlive it. A descendant that clears its environment, or runs as
/// another user, is beyond reach.
enum CandidateProcesses {
    /// The variable that marks a candidate's processes.
    static let variable = "GNLL_CANDIDATE"

    private struct Registry {
        var serial = 0
        /// The shell's pid by marker; 0 while it starts.
        var running: [String: pid_t] = [:]
    }

    private static let registry = Mutex(Registry())

    /// A fresh marker, registered before the process starts so that ``killAll()`` finds it from then on.
    static func register() -> String {
        registry.withLock { registry in
            registry.serial += 1
            let marker = "\(getpid()).\(registry.serial)"
            registry.running[marker] = 0
            return marker
        }
    }

    /// Records the shell of a registered marker.
    static func started(_ marker: String, pid: pid_t) {
        registry.withLock { $0.running[marker] = pid }
    }

    /// Kills every process that carries the marker, and forgets it; the caller has killed and reaped the shell.
    static func end(_ marker: String) {
        killMarked([marker])
        _ = registry.withLock { $0.running.removeValue(forKey: marker) }
    }

    /// Kills every registered candidate's process group and every process that carries a registered marker;
    /// safe from any thread (the signal handler calls it). Reaps nothing: the caller is about to exit.
    static func killAll() {
        let running = registry.withLock { $0.running }
        for pid in running.values where pid > 0 { _ = kill(-pid, SIGKILL) }
        killMarked(Set(running.keys))
    }

    /// `NAME=VALUE` entries of this process's environment with the marker in place of any inherited one.
    static func environment(marker: String) -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if !text.hasPrefix(variable + "=") { entries.append(text) }
            pointer += 1
        }
        return entries + ["\(variable)=\(marker)"]
    }

    /// Sends SIGKILL to every other process whose environment holds one of the markers.
    private static func killMarked(_ markers: Set<String>) {
        guard !markers.isEmpty, let directory = opendir("/proc") else { return }
        defer { closedir(directory) }
        let wanted = Set(markers.map { Array("\(variable)=\($0)".utf8) })
        let me = getpid()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name), pid != me else { continue }
            if environmentHolds(pid: pid, any: wanted) { _ = kill(pid, SIGKILL) }
        }
    }

    private static func environmentHolds(pid: pid_t, any wanted: Set<[UInt8]>) -> Bool {
        let descriptor = open("/proc/\(pid)/environ", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        // An environment is at most a few MiB (ARG_MAX); stop there in any case.
        while contents.count < 8 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            contents += chunk[..<count]
        }
        return contents.split(separator: 0).contains { wanted.contains(Array($0)) }
    }
}
