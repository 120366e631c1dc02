internal import CHDF5

/// An open file's libhdf5 identifiers, closed when the last group, dataset or file value lets go of them.
///
/// The identifiers are only used under ``Library/call(_:)``, which makes sharing the handle across threads safe.
final class FileHandle: @unchecked Sendable {
    /// The path as the caller gave it, for error messages.
    let path: String
    let limits: HDF5Limits
    /// The file identifier from `H5Fopen`.
    let fileID: hid_t
    /// A link access property list that refuses to follow external links into other files.
    let linkAccessID: hid_t

    init(path: String, limits: HDF5Limits) throws(HDF5Error) {
        self.path = path
        self.limits = limits
        (fileID, linkAccessID) = try Library.call { () throws(HDF5Error) -> (hid_t, hid_t) in
            func failure(_ kind: HDF5Error.Kind, _ message: String, library: Bool = true) -> HDF5Error {
                HDF5Error(
                    kind: kind, filePath: path, message: message,
                    libraryMessage: library ? Library.takeErrorMessage() : nil)
            }
            guard !path.isEmpty, !path.utf8.contains(0) else {
                throw failure(.invalidArgument, "the path is empty or holds a NUL byte", library: false)
            }
            switch H5Fis_hdf5(path) {
            case 0:
                throw failure(.notHDF5, "not an HDF5 file")
            case ..<0:
                throw failure(.cannotOpen, "cannot open the file")
            default:
                break
            }
            // Keep HDF5's advisory file locking, but do not fail on file systems that lack locks.
            let fileAccessID = H5Pcreate(chdf5_p_file_access())
            guard fileAccessID >= 0 else {
                throw failure(.libraryFailure, "cannot create a file access property list")
            }
            defer { _ = H5Pclose(fileAccessID) }
            guard H5Pset_file_locking(fileAccessID, true, true) >= 0 else {
                throw failure(.libraryFailure, "cannot set the file locking property")
            }
            let fileID = H5Fopen(path, chdf5_f_acc_rdonly(), fileAccessID)
            guard fileID >= 0 else {
                throw failure(.cannotOpen, "cannot open the file")
            }
            let linkAccessID = chdf5_create_link_access_without_external_links()
            guard linkAccessID >= 0 else {
                let error = failure(.libraryFailure, "cannot create a link access property list")
                _ = H5Fclose(fileID)
                throw error
            }
            return (fileID, linkAccessID)
        }
    }

    deinit {
        Library.callWithoutErrors {
            _ = H5Pclose(linkAccessID)
            if H5Fclose(fileID) < 0 {
                _ = Library.takeErrorMessage()
            }
        }
    }
}
