internal import CHDF5

/// Where an object, or one of its attributes, lies: the file and the absolute path inside it.
///
/// Values of the public types hold a location, not an open identifier: each operation opens what it needs
/// under the library lock and closes it before returning.
struct ObjectLocation: Sendable {
    let file: FileHandle
    /// The absolute, normalized path: `/`, or `/a/b` without a trailing slash.
    let path: String
    /// The attribute an operation is about, if any; it only changes error messages.
    var attributeName: String? = nil

    /// The root group of `file`.
    init(root file: FileHandle) {
        self.file = file
        self.path = "/"
    }

    private init(file: FileHandle, path: String, attributeName: String?) {
        self.file = file
        self.path = path
        self.attributeName = attributeName
    }

    /// An error at this location.
    func error(_ kind: HDF5Error.Kind, _ message: String, libraryMessage: String? = nil) -> HDF5Error {
        HDF5Error(
            kind: kind, filePath: file.path, objectPath: path, attributeName: attributeName, message: message,
            libraryMessage: libraryMessage)
    }

    /// An error at this location that carries what libhdf5's error stack says; call it right after the failure.
    func libraryError(_ kind: HDF5Error.Kind, _ message: String) -> HDF5Error {
        error(kind, message, libraryMessage: Library.takeErrorMessage())
    }

    /// The location of the attribute `name` of this object.
    func attribute(_ name: String) throws(HDF5Error) -> ObjectLocation {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw error(.invalidArgument, "the attribute name \(String(reflecting: name)) is empty or holds a NUL byte")
        }
        return ObjectLocation(file: file, path: path, attributeName: name)
    }

    /// The location of `name`, a path relative to this group, or an absolute path if it starts with `/`.
    ///
    /// Repeated slashes collapse; `.` and `..` have no special meaning beyond what libhdf5 gives them.
    func member(_ name: String) throws(HDF5Error) -> ObjectLocation {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw error(.invalidArgument, "the member name \(String(reflecting: name)) is empty or holds a NUL byte")
        }
        var components = name.hasPrefix("/") ? [] : path.split(separator: "/")
        components += name.split(separator: "/")
        return ObjectLocation(file: file, path: "/" + components.joined(separator: "/"), attributeName: nil)
    }

    // MARK: - Calls under the library lock

    /// Whether every link on the way to this location exists. Call under the library lock.
    func linkExists() -> Bool {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if H5Lexists(file.fileID, prefix, file.linkAccessID) <= 0 {
                _ = Library.takeErrorMessage()
                return false
            }
        }
        return true
    }

    /// Opens the object here, which must be of kind `expected`; the caller closes it with `H5Oclose`.
    ///
    /// Call under the library lock.
    func openObject(expecting expected: HDF5ObjectKind) throws(HDF5Error) -> hid_t {
        let objectID = H5Oopen(file.fileID, path, file.linkAccessID)
        guard objectID >= 0 else {
            let libraryMessage = Library.takeErrorMessage()
            guard linkExists() else {
                throw error(.notFound, "no such \(expected)")
            }
            throw error(.libraryFailure, "cannot open the \(expected)", libraryMessage: libraryMessage)
        }
        let actual: HDF5ObjectKind? =
            switch H5Iget_type(objectID) {
            case H5I_GROUP: .group
            case H5I_DATASET: .dataset
            case H5I_DATATYPE: .namedDatatype
            default: nil
            }
        guard actual == expected else {
            _ = H5Oclose(objectID)
            throw error(
                .wrongObjectKind, "is \(actual?.withArticle ?? "an unknown object"), not \(expected.withArticle)")
        }
        return objectID
    }

    /// The kind of the object here, or `nil` if there is no link here. Call under the library lock.
    func objectKind() throws(HDF5Error) -> HDF5ObjectKind? {
        guard linkExists() else { return nil }
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(file.fileID, path, &info, UInt32(H5O_INFO_BASIC), file.linkAccessID) >= 0 else {
            throw libraryError(.libraryFailure, "the link cannot be resolved to an object")
        }
        switch info.type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        case H5O_TYPE_NAMED_DATATYPE: return .namedDatatype
        default: throw error(.malformed, "is an object of unknown type")
        }
    }

    /// Lists names in one libhdf5 iteration and sorts them by the bytes of their UTF-8 encoding.
    ///
    /// `iterate(callback, context)` runs an `H5Literate`/`H5Aiterate2` pass that calls `callback` with each
    /// name and `context`; one pass costs O(n log n) where a `*_get_name_by_idx` call per name costs that
    /// much per name. `count` is the number the object declares, checked against the limit before the pass;
    /// the pass stops at the first name over the limits. Call under the library lock.
    func names(
        count: hsize_t, of what: String,
        iterate: (NameCollector.Callback, UnsafeMutableRawPointer) -> herr_t
    ) throws(HDF5Error) -> [String] {
        guard count <= UInt64(file.limits.maximumMemberCount) else {
            throw error(
                .limitExceeded,
                "holds \(count) \(what)s, more than the limit of \(file.limits.maximumMemberCount)")
        }
        let collector = NameCollector(limits: file.limits)
        let status = withExtendedLifetime(collector) {
            iterate(NameCollector.collect, Unmanaged.passUnretained(collector).toOpaque())
        }
        if let problem = collector.problem {
            let index = collector.names.count
            switch problem {
            case .tooMany:
                throw error(
                    .limitExceeded, "holds more than the limit of \(file.limits.maximumMemberCount) \(what)s")
            case .tooLong:
                throw error(
                    .limitExceeded,
                    "the name of \(what) \(index) reaches the read limit of \(file.limits.maximumReadBytes) bytes")
            case .notUTF8:
                throw error(.malformed, "the name of \(what) \(index) is not valid UTF-8")
            }
        }
        guard status >= 0 else {
            throw libraryError(.libraryFailure, "cannot list the \(what)s")
        }
        return collector.names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// Gathers the names an `H5Literate` or `H5Aiterate2` pass reports, within the file's limits.
final class NameCollector {
    /// The C callback both iterations accept: the object, the name, the entry's info (unused), the collector.
    typealias Callback =
        @convention(c) (
            hid_t, UnsafePointer<CChar>?, UnsafeRawPointer?, UnsafeMutableRawPointer?
        ) -> herr_t

    enum Problem {
        case tooMany
        case tooLong
        case notUTF8
    }

    let limits: HDF5Limits
    private(set) var names: [String] = []
    private(set) var problem: Problem?

    init(limits: HDF5Limits) {
        self.limits = limits
    }

    /// Appends one name; a positive return stops the iteration without an error from libhdf5.
    static let collect: Callback = { _, name, _, context in
        guard let name, let context else { return -1 }
        let collector = Unmanaged<NameCollector>.fromOpaque(context).takeUnretainedValue()
        return collector.append(name)
    }

    private func append(_ name: UnsafePointer<CChar>) -> herr_t {
        guard names.count < limits.maximumMemberCount else {
            problem = .tooMany
            return 1
        }
        var length = 0
        while length < limits.maximumReadBytes && name[length] != 0 { length += 1 }
        guard length < limits.maximumReadBytes else {
            problem = .tooLong
            return 1
        }
        let bytes = UnsafeRawBufferPointer(start: name, count: length)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            problem = .notUTF8
            return 1
        }
        names.append(text)
        return 0
    }
}

extension HDF5ObjectKind {
    fileprivate var withArticle: String {
        switch self {
        case .group: "a group"
        case .dataset: "a dataset"
        case .namedDatatype: "a named datatype"
        }
    }
}
