internal import Dispatch
internal import Foundation

/// A value computed on a thread of its own while the caller goes on; ``result`` waits for it.
///
/// A thread of its own rather than a Dispatch worker: the work may block for as long as it likes (on a
/// candidate's process, on a pipe), and Dispatch's pool may be as small as the number of processors.
public final class Background<Value, Failure: Error>: @unchecked Sendable {
    // Written by the worker before it signals, read only after `wait` returns.
    private var outcome: Result<Value, Failure>?
    private let done = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread.
    public init(_ body: @escaping () throws(Failure) -> Value) {
        nonisolated(unsafe) let body = body
        Thread { [self] in
            outcome = Result { () throws(Failure) in try body() }
            done.signal()
        }.start()
    }

    /// What `body` returned or threw, once it has finished.
    public var result: Result<Value, Failure> {
        done.wait()
        done.signal()  // so that later reads do not wait
        return outcome!
    }
}
