import Dispatch
import Foundation

/// A value computed on another thread while this one goes on; ``result`` waits for it.
///
/// The thread is its own, not a Dispatch worker: the work may block (on a child process, on a pipe), and
/// Dispatch's pool may be as small as the number of processors.
final class Background<Value>: @unchecked Sendable {
    // Written by the worker before it signals, read after `wait` returns.
    private var value: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> Value) {
        nonisolated(unsafe) let body = body
        Thread { [self] in
            value = Result { try body() }
            done.signal()
        }.start()
    }

    var result: Result<Value, any Error> {
        done.wait()
        done.signal()
        return value!
    }
}
