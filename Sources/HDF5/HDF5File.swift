/// An HDF5 file, open for reading.
///
/// Opening checks the signature and the superblock; groups, datasets and attributes are read on demand,
/// each operation opening and closing what it needs. The file closes when the last value that refers to
/// it, this one or any ``HDF5Group`` or ``HDF5Dataset`` from it, goes away.
///
/// All values are `Sendable`, and every call into libhdf5 goes through one process-wide lock, so files may
/// be read from any thread. External links, external raw data files and virtual datasets are refused, so
/// reading a file never opens another one.
///
/// ```swift
/// let file = try HDF5File(path: "golden/torch-2.9.1.h5")
/// let profile = try file.root.attributes.string("profile")
/// for name in try file.root.group("cases").memberNames() {
///     let input = try file.root.dataset("cases/\(name)/input").read()
/// }
/// ```
public struct HDF5File: Sendable {
    let handle: FileHandle

    /// Opens the file at `path` for reading.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/notHDF5`` when the file lacks the HDF5 signature
    ///   (an empty file, for one), and ``HDF5Error/Kind/cannotOpen`` when it is missing, unreadable,
    ///   truncated or has a corrupt superblock.
    public init(path: String, limits: HDF5Limits = .default) throws(HDF5Error) {
        handle = try FileHandle(path: path, limits: limits)
    }

    /// The path the file was opened with.
    public var path: String { handle.path }

    /// The limits every read from this file observes.
    public var limits: HDF5Limits { handle.limits }

    /// The root group, `/`.
    public var root: HDF5Group { HDF5Group(location: ObjectLocation(root: handle)) }
}
