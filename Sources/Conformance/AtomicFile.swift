public import Foundation

/// Writing output files so that a reader never sees a partial one, and nothing but a regular file is replaced.
///
/// Where the bytes go depends on what the path names, after following symbolic links to their target:
///
/// - a regular file, or nothing yet: a new file beside it, renamed over it once complete (a replaced file
///   keeps its permissions; a link keeps pointing at its target, which is replaced);
/// - a character or block device, a FIFO or a socket: written through, in place, never replaced;
/// - `-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N`: written to that open descriptor;
/// - a folder, an empty path, or a path in a folder that does not exist: an ``OutputFileError``.
///
/// ``checkWritable(_:)`` tells before a long run whether a write would fail. While a file is replaced, an
/// exit through ``exitAfterWrites(_:)`` waits for the rename, so that no temporary file is left behind.
public enum AtomicFile {
    /// Writes data to `path`, as the type's summary describes.
    public static func write(_ data: Data, to path: String) throws(OutputFileError) {
        switch try destination(of: path) {
        case .descriptor(let descriptor):
            try writeAll(data, to: descriptor, path: path)
        case .inPlace(let target):
            let descriptor = open(target, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard descriptor >= 0 else { throw OutputFileError(path: path, errno: errno) }
            defer { close(descriptor) }
            // A regular file reached through /proc is rewritten, not overwritten in part.
            var status = stat()
            if fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFREG { _ = ftruncate(descriptor, 0) }
            try writeAll(data, to: descriptor, path: path)
        case .replace(let target):
            replacing.lock()
            defer { replacing.unlock() }
            try replace(target, with: data, path: path)
        }
    }

    /// Throws the error a write to `path` would throw for what the path names, without writing: the folder
    /// is missing or not writable, the path is a folder or empty, a device or descriptor cannot be written.
    public static func checkWritable(_ path: String) throws(OutputFileError) {
        switch try destination(of: path) {
        case .descriptor(let descriptor):
            let flags = fcntl(descriptor, F_GETFL)
            guard flags >= 0 else { throw OutputFileError(path: path, reason: "descriptor \(descriptor) is not open") }
            guard flags & O_ACCMODE != O_RDONLY else {
                throw OutputFileError(path: path, reason: "descriptor \(descriptor) is open for reading only")
            }
        case .inPlace(let target):
            guard access(target, W_OK) == 0 else { throw OutputFileError(path: path, errno: errno) }
        case .replace(let target):
            let folder = folder(of: target)
            guard access(folder, W_OK | X_OK) == 0 else {
                throw OutputFileError(path: path, reason: "the folder \(folder) is not writable")
            }
        }
    }

    /// Exits with `status` once no file is being replaced, and lets no later replacement start.
    public static func exitAfterWrites(_ status: Int32) -> Never {
        replacing.lock()
        exit(status)
    }

    // MARK: - Where the bytes go

    private enum Destination {
        /// An open descriptor of this process.
        case descriptor(Int32)
        /// Something that is not a regular file, written in place.
        case inPlace(String)
        /// A regular file or a new one, replaced by a rename.
        case replace(String)
    }

    private static let replacing = NSLock()
    private static let maximumLinks = 40

    private static func destination(of path: String) throws(OutputFileError) -> Destination {
        guard !path.isEmpty else { throw OutputFileError(path: path, reason: "the path is empty") }
        if path == "-" { return .descriptor(STDOUT_FILENO) }
        var current = path
        for _ in 0...maximumLinks {
            if let descriptor = descriptorNamed(current) { return .descriptor(descriptor) }
            var status = stat()
            guard lstat(current, &status) == 0 else {
                let code = errno
                guard code == ENOENT else { throw OutputFileError(path: path, errno: code) }
                let folder = folder(of: current)
                var folderStatus = stat()
                guard stat(folder, &folderStatus) == 0, folderStatus.st_mode & S_IFMT == S_IFDIR else {
                    throw OutputFileError(path: path, reason: "the folder \(folder) does not exist")
                }
                return .replace(current)
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                return .replace(current)
            case S_IFDIR:
                throw OutputFileError(path: path, reason: "it is a folder")
            case S_IFLNK:
                // A link under /proc is a kernel object, not a path: open it as it is.
                if current.hasPrefix("/proc/") { return .inPlace(current) }
                current = try linkTarget(current, path: path)
            default:
                return .inPlace(current)
            }
        }
        throw OutputFileError(path: path, reason: "more than \(maximumLinks) symbolic links")
    }

    /// The descriptor a path names by convention: `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`.
    private static func descriptorNamed(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return STDOUT_FILENO
        case "/dev/stderr": return STDERR_FILENO
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", "/proc/\(getpid())/fd/"]
            where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    private static func linkTarget(_ link: String, path: String) throws(OutputFileError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(link, &buffer, buffer.count - 1)
        guard count >= 0 else { throw OutputFileError(path: path, errno: errno) }
        let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("/") ? target : folder(of: link) + "/" + target
    }

    private static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    // MARK: - Writing

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws(OutputFileError) {
        let failure: Int32? = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw OutputFileError(path: path, errno: failure) }
    }

    /// Numbers the temporary files of this process; guarded by `replacing`.
    nonisolated(unsafe) private static var serial = 0

    private static func replace(_ target: String, with data: Data, path: String) throws(OutputFileError) {
        var existing = stat()
        let mode = lstat(target, &existing) == 0 ? mode_t(existing.st_mode & 0o7777) : nil
        let name = target.split(separator: "/").last.map(String.init) ?? target
        var temporary = ""
        var descriptor: Int32 = -1
        while descriptor < 0 {
            serial += 1
            temporary = folder(of: target) + "/.\(name).\(getpid()).\(serial).tmp"
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor < 0 && errno != EEXIST { throw OutputFileError(path: path, errno: errno) }
        }
        do throws(OutputFileError) {
            if let mode { _ = fchmod(descriptor, mode) }
            try writeAll(data, to: descriptor, path: path)
            guard fsync(descriptor) == 0 else { throw OutputFileError(path: path, errno: errno) }
            close(descriptor)
            descriptor = -1
            guard rename(temporary, target) == 0 else { throw OutputFileError(path: path, errno: errno) }
        } catch {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporary)
            throw error
        }
    }
}

/// An output file that cannot be written: which path, and why, in plain words.
public struct OutputFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path as given.
    public var path: String
    /// Why: "the folder out does not exist", "it is a folder", "Permission denied".
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, errno code: Int32) {
        self.init(path: path, reason: String(cString: strerror(code)))
    }

    /// `cannot write PATH: REASON`.
    public var description: String { "cannot write \(path.isEmpty ? "\"\"" : path): \(reason)" }
}
