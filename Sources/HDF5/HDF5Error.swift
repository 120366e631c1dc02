/// An error from reading an HDF5 file.
///
/// Its description names the file, the object inside it and, when an attribute is at fault, the attribute,
/// then says what went wrong, and ends with what libhdf5 reported when libhdf5 reported something:
///
/// ```
/// golden/torch-2.9.1.h5: /cases/abc/input: shape [2^62, 4, 4] holds more than Int.max elements
/// golden/torch-2.9.1.h5: not an HDF5 file
/// golden/torch-2.9.1.h5: /cases/abc: attribute "eps": expected a float, found a string
/// ```
public struct HDF5Error: Error, Hashable, CustomStringConvertible {
    /// What kind of failure an ``HDF5Error`` reports.
    public enum Kind: Hashable, Sendable {
        /// The file could not be opened: it is missing, unreadable, truncated, or its superblock is corrupt.
        case cannotOpen
        /// The file does not start with an HDF5 signature.
        case notHDF5
        /// There is no group, dataset or attribute of that name.
        case notFound
        /// The object exists but is not the kind asked for: a group where a dataset was expected, or the reverse.
        case wrongObjectKind
        /// The elements are of another type than the one asked for.
        case typeMismatch
        /// The element type, dataspace or storage layout is one this module does not read.
        case unsupported
        /// Reading would allocate more than ``HDF5Limits`` allows.
        case limitExceeded
        /// The file's metadata is inconsistent or absurd.
        case malformed
        /// The caller passed an unusable name or path.
        case invalidArgument
        /// libhdf5 failed while reading, for example on a corrupt compressed chunk.
        case libraryFailure
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The file's path, as the caller gave it.
    public var filePath: String
    /// The path of the object inside the file, such as `/cases/abc/input`; `nil` when the file itself is at fault.
    public var objectPath: String?
    /// The name of the attribute at fault, if any.
    public var attributeName: String?
    /// What went wrong, in words.
    public var message: String
    /// What libhdf5's error stack said, outermost call first and innermost cause last, if it said anything.
    public var libraryMessage: String?

    /// Creates an error.
    public init(
        kind: Kind, filePath: String, objectPath: String? = nil, attributeName: String? = nil, message: String,
        libraryMessage: String? = nil
    ) {
        self.kind = kind
        self.filePath = filePath
        self.objectPath = objectPath
        self.attributeName = attributeName
        self.message = message
        self.libraryMessage = libraryMessage
    }

    public var description: String {
        var text = filePath + ": "
        if let objectPath {
            text += objectPath + ": "
        }
        if let attributeName {
            text += "attribute \"\(attributeName)\": "
        }
        text += message
        if let libraryMessage {
            text += " (libhdf5: \(libraryMessage))"
        }
        return text
    }
}
