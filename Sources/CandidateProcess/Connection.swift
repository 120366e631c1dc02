import CandidateProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One running candidate process and the bytes in flight to and from it.
///
/// All I/O is non-blocking and driven by ``pump(until:)``: it writes what the candidate will take, waits
/// with `poll` until the candidate is readable or writable or the deadline passes, reads at most one
/// chunk of stdout (so that an over-long line is noticed within a chunk of its limit) and drains stderr
/// into a bounded tail. Reading and writing in the same loop is what keeps a candidate that writes
/// before it reads from deadlocking against the suite.
final class Connection {
    let child: ChildProcess
    /// Response bytes read and not yet taken.
    var lines = LineBuffer()
    private(set) var stderrTail: StderrTail
    private var outbox: [UInt8] = []
    private var outboxStart = 0
    private(set) var stdinOpen = true
    /// Whether stdout has reached its end (or failed).
    private(set) var stdoutAtEnd = false
    private var stderrOpen = true
    /// The errno of a failed write to stdin (EPIPE when the candidate has closed it).
    private(set) var writeError: Int32?
    /// The errno of a failed read from stdout.
    private(set) var readError: Int32?
    private(set) var isTerminated = false
    /// How the process ended, once ``terminate(grace:)`` has run.
    private(set) var ending = ""
    private var stderrChunk = [UInt8](repeating: 0, count: 1 << 14)

    init(child: ChildProcess, stderrLimit: Int) {
        self.child = child
        stderrTail = StderrTail(limit: stderrLimit)
    }

    deinit {
        terminate(grace: .zero)
    }

    /// Whether request bytes are still waiting to be written.
    var hasUnsentBytes: Bool { outboxStart < outbox.count }

    /// Queues bytes for the candidate's stdin; ``pump(until:)`` writes them.
    func send(_ bytes: [UInt8]) {
        if outboxStart == outbox.count {
            outbox.removeAll(keepingCapacity: true)
            outboxStart = 0
        } else if outboxStart >= 1 << 16 && outboxStart >= outbox.count / 2 {
            outbox.removeSubrange(0..<outboxStart)
            outboxStart = 0
        }
        outbox.append(contentsOf: bytes)
    }

    /// One round of I/O; returns when something was read or written, or at the deadline.
    func pump(until deadline: ContinuousClock.Instant) {
        guard !isTerminated else { return }
        flushOutbox()
        guard !stdoutAtEnd else { return }
        var entries: [pollfd] = [pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0)]
        let stderrSlot = stderrOpen ? entries.count : nil
        if stderrOpen { entries.append(pollfd(fd: child.stderr, events: Int16(POLLIN), revents: 0)) }
        let stdinSlot = stdinOpen && hasUnsentBytes ? entries.count : nil
        if stdinSlot != nil { entries.append(pollfd(fd: child.stdin, events: Int16(POLLOUT), revents: 0)) }

        let ready = poll(&entries, nfds_t(entries.count), Self.milliseconds(until: deadline))
        guard ready > 0 else { return }
        if let stdinSlot, entries[stdinSlot].revents != 0 { flushOutbox() }
        if entries[0].revents != 0 { readStdout() }
        if let stderrSlot, entries[stderrSlot].revents != 0 { drainStderr(chunks: 16) }
    }

    /// The poll timeout for a deadline: whole milliseconds, rounded up, at least 0.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    private func flushOutbox() {
        while stdinOpen && hasUnsentBytes {
            let written = outbox.withUnsafeBytes { buffer in
                write(child.stdin, buffer.baseAddress! + outboxStart, buffer.count - outboxStart)
            }
            if written > 0 {
                outboxStart += written
                continue
            }
            let code = errno
            if written < 0 && code == EINTR { continue }
            if written < 0 && (code == EAGAIN || code == EWOULDBLOCK) { return }
            writeError = written < 0 ? code : EPIPE
            closeStdin()
        }
        if !hasUnsentBytes {
            outbox.removeAll(keepingCapacity: true)
            outboxStart = 0
        }
    }

    private func readStdout() {
        switch lines.read(from: child.stdout) {
        case .bytes, .wouldBlock:
            break
        case .endOfFile:
            stdoutAtEnd = true
        case .failed(let code):
            readError = code
            stdoutAtEnd = true
        }
    }

    /// Reads what stderr holds now, up to `chunks` reads, into the tail.
    private func drainStderr(chunks: Int) {
        var remaining = chunks
        while stderrOpen && remaining > 0 {
            remaining -= 1
            let count = stderrChunk.withUnsafeMutableBytes { buffer in
                read(child.stderr, buffer.baseAddress, buffer.count)
            }
            if count > 0 {
                stderrChunk.withUnsafeBufferPointer { stderrTail.append(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { stderrOpen = false }
            return
        }
    }

    /// Closes the candidate's stdin, which tells it that no more requests will come.
    func closeStdin() {
        guard stdinOpen else { return }
        close(child.stdin)
        stdinOpen = false
    }

    /// Waits up to `grace` for the process to exit on its own, then kills its process group, reaps it,
    /// takes the rest of its stderr and closes the pipes. Safe to call more than once.
    func terminate(grace: Duration) {
        guard !isTerminated else { return }
        isTerminated = true
        let exited = grace > .zero ? child.waitForExit(timeout: grace) : child.hasExited()
        let status = child.killAndReap()
        ending = exited ? describeWaitStatus(status) : "was still running, and was killed"
        drainStderr(chunks: 64)
        closeStdin()
        close(child.stdout)
        close(child.stderr)
        stdoutAtEnd = true
        stderrOpen = false
    }
}
