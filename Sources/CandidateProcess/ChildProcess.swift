#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGPIPE is ignored once, process-wide, before the first candidate starts: a write to a candidate that
/// has exited must fail with EPIPE, not kill the suite. Children get the default disposition back.
private let ignoringBrokenPipes: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

/// A running `/bin/sh -c COMMAND` in its own process group, with pipes on its stdin, stdout and stderr.
///
/// The parent's ends are non-blocking and close-on-exec. The process is never left behind: ``killAndReap()``
/// kills the whole group, reaps the shell and kills what the candidate started outside the group
/// (``CandidateProcesses``), and no path gives the process up without it.
struct ChildProcess {
    let pid: pid_t
    /// The value of `GNLL_CANDIDATE` in the environment of the process and its descendants.
    let marker: String
    /// The write end of the child's stdin.
    let stdin: Int32
    /// The read end of the child's stdout.
    let stdout: Int32
    /// The read end of the child's stderr.
    let stderr: Int32

    /// Starts the command; throws a description of the failing system call.
    static func spawn(command: String) throws(SpawnError) -> ChildProcess {
        _ = ignoringBrokenPipes
        var opened: [Int32] = []
        func makePipe() throws(SpawnError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard makeCloseOnExecPipe(&fds) == 0 else { throw SpawnError(call: "pipe", errno: errno) }
            opened += fds
            return (fds[0], fds[1])
        }
        let marker = CandidateProcesses.register()
        do {
            let input = try makePipe()
            let output = try makePipe()
            let errors = try makePipe()
            let pid = try spawnShell(
                command: command, environment: CandidateProcesses.environment(marker: marker), stdin: input.read,
                stdout: output.write, stderr: errors.write)
            CandidateProcesses.started(marker, pid: pid)
            for descriptor in [input.read, output.write, errors.write] { close(descriptor) }
            for descriptor in [input.write, output.read, errors.read] {
                _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            }
            return ChildProcess(pid: pid, marker: marker, stdin: input.write, stdout: output.read, stderr: errors.read)
        } catch {
            for descriptor in opened { close(descriptor) }
            CandidateProcesses.end(marker)
            throw error
        }
    }

    private static func spawnShell(
        command: String, environment: [String], stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(SpawnError)
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var brokenPipe = sigset_t()
        sigemptyset(&brokenPipe)
        sigaddset(&brokenPipe, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &brokenPipe)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        if let closeFrom = SystemFunctions.addCloseFrom {
            _ = closeFrom(&actions, 3)
        }

        let strings: [String] = ["/bin/sh", "-c", command]
        let arguments = strings.map { strdup($0) }
        defer { for argument in arguments { free(argument) } }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments + [nil]
        let variables = environment.map { strdup($0) }
        defer { for variable in variables { free(variable) } }
        var envp: [UnsafeMutablePointer<CChar>?] = variables + [nil]
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, &envp)
        guard status == 0 else { throw SpawnError(call: "posix_spawn /bin/sh", errno: status) }
        return pid
    }

    /// Whether the process has exited, without reaping it (so its pid and group stay reserved).
    func hasExited() -> Bool {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 {
            if errno != EINTR { return true }
        }
        return info._sifields._sigchld.si_pid == pid
    }

    /// Waits up to `timeout` for the process to exit on its own; true when it has.
    func waitForExit(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var pause: Int32 = 1
        while true {
            if hasExited() { return true }
            if ContinuousClock.now >= deadline { return false }
            _ = poll(nil, 0, pause)
            pause = min(pause * 2, 20)
        }
    }

    /// Kills the process group with SIGKILL, reaps the shell, then kills every process that carries the
    /// marker; returns the shell's wait status.
    ///
    /// The group is signalled before the shell is reaped, so the group id cannot have been reused.
    func killAndReap() -> Int32 {
        _ = kill(-pid, SIGKILL)
        _ = kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { break }
        }
        CandidateProcesses.end(marker)
        return status
    }
}

/// Functions glibc has but does not declare without `_GNU_SOURCE`, looked up at run time.
private enum SystemFunctions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `pipe2`, which sets close-on-exec atomically, so that no child spawned meanwhile by another
    /// thread inherits the pipe.
    static let pipe2: Pipe2? = lookUp("pipe2", as: Pipe2.self)
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34): the child gets no descriptor above 2.
    static let addCloseFrom: AddCloseFrom? = lookUp("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    private static func lookUp<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }
}

/// `pipe2(fds, O_CLOEXEC)` where there is one, else `pipe` and then `FD_CLOEXEC` on both ends.
private func makeCloseOnExecPipe(_ fds: UnsafeMutablePointer<Int32>) -> Int32 {
    if let pipe2 = SystemFunctions.pipe2 { return pipe2(fds, O_CLOEXEC) }
    guard pipe(fds) == 0 else { return -1 }
    for descriptor in [fds[0], fds[1]] { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    return 0
}

/// A system call that failed while starting a candidate.
struct SpawnError: Error, CustomStringConvertible {
    var call: String
    var errno: Int32

    var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
}

/// Describes a wait status: "exited with status 1", "was killed by signal 11 (Segmentation fault)".
func describeWaitStatus(_ status: Int32) -> String {
    let signal = status & 0x7F
    if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
    let name = strsignal(signal).map { String(cString: $0) } ?? "unknown"
    return "was killed by signal \(signal) (\(name))"
}
