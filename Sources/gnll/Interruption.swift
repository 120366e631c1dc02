import CandidateProcess
import Conformance
import Dispatch
import Foundation

/// SIGINT, SIGTERM and SIGHUP, handled on a thread of their own rather than by the default action, so that no
/// signal ends `gnll` with a candidate left running or an output file half written.
///
/// The command says what a signal does (`gnll verify` writes its results so far and exits, `gnll fuzz` finishes
/// the batch in flight); ``exit(after:message:)`` is the one way out on a signal.
final class Interruption: @unchecked Sendable {
    /// The signals handled.
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    private let lock = NSLock()
    private var received: [Int32] = []
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "gnll.signals")

    /// Handles the signals from now on: `handle` gets each one, with how many came before it.
    init(_ handle: @escaping @Sendable (_ signal: Int32, _ earlier: Int) -> Void) {
        for signalNumber in Self.signals {
            signal(signalNumber, SIG_IGN)
            // A queue of its own: the shared pool may be busy with the run's work, and a signal must not wait.
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let earlier = lock.withLock {
                    received.append(signalNumber)
                    return received.count - 1
                }
                handle(signalNumber, earlier)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal has come.
    var requested: Bool { lock.withLock { !received.isEmpty } }

    /// Ends `gnll` after a signal: kills every candidate process and what they started and every child reading a
    /// golden file, prints the message, lets a file being replaced finish its rename, and exits with 128 + the
    /// signal's number.
    static func exit(after signal: Int32, message: String) -> Never {
        claimExit()
        ProcessCandidate.killAll()
        GoldenLoading.killRunning()
        printError(message)
        AtomicFile.exitAfterWrites(128 + signal)
    }

    /// Held by the thread that ends `gnll`: the main thread at its end, or a signal's handler.
    private static let exiting = NSLock()

    /// Makes this thread the one that ends `gnll`, or, when another thread is ending it already, waits for that;
    /// so that the main thread and a signal's handler never exit at once.
    static func claimExit() {
        exiting.lock()
    }

    /// Waits for the handler of a signal that came first to end `gnll`.
    static func waitForExit() -> Never {
        while true { sleep(60) }
    }

    /// The signal's name: `SIGINT`, `SIGTERM`, `SIGHUP`.
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}
