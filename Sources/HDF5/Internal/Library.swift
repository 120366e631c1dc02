internal import CHDF5

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A recursive mutex.
///
/// It is recursive so that closing an identifier from a `deinit` that runs while the lock is held on the
/// same thread cannot deadlock.
final class RecursiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        let status = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(status == 0, "pthread_mutex_init failed with \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// The one gate through which the module calls libhdf5.
///
/// Debian's libhdf5 1.10 is built thread-safe, but a serial build is not, and even the thread-safe build
/// keeps one error stack and one automatic error printer per thread. Every call therefore runs behind one
/// process-wide lock, after turning the automatic printing of error stacks off for the calling thread.
enum Library {
    private static let lock = RecursiveLock()

    /// Runs `body` with exclusive use of libhdf5.
    static func call<Result>(_ body: () throws(HDF5Error) -> Result) throws(HDF5Error) -> Result {
        try lock.withLock { () throws(HDF5Error) -> Result in
            silenceErrorStack()
            return try body()
        }
    }

    /// Runs a `body` that cannot fail with exclusive use of libhdf5.
    static func callWithoutErrors<Result>(_ body: () -> Result) -> Result {
        lock.withLock {
            silenceErrorStack()
            return body()
        }
    }

    private static func silenceErrorStack() {
        _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
    }

    /// Returns what the calling thread's error stack says, innermost cause last, and clears the stack.
    ///
    /// Call it under the lock, right after the failed call and before any other libhdf5 call.
    static func takeErrorMessage() -> String? {
        let collector = MessageCollector()
        let walk: H5E_walk2_t = { _, error, clientData in
            guard let error, let clientData else { return 0 }
            let collector = Unmanaged<MessageCollector>.fromOpaque(clientData).takeUnretainedValue()
            if let description = error.pointee.desc {
                collector.append(String(cString: description))
            }
            return 0
        }
        withExtendedLifetime(collector) {
            let clientData = Unmanaged.passUnretained(collector).toOpaque()
            _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, walk, clientData)
        }
        _ = H5Eclear2(chdf5_e_default())
        return collector.message
    }
}

/// Gathers the descriptions of an error stack's entries, from the API call down to the innermost cause.
private final class MessageCollector {
    private var descriptions: [String] = []

    func append(_ description: String) {
        let trimmed = description.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }.joined(separator: " ")
        if !trimmed.isEmpty, descriptions.last != trimmed {
            descriptions.append(trimmed)
        }
    }

    /// The outermost description and the innermost one, which together say what failed and why.
    var message: String? {
        guard let first = descriptions.first, let last = descriptions.last else { return nil }
        return first == last ? first : "\(first): \(last)"
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        return String(scalars)
    }
}
