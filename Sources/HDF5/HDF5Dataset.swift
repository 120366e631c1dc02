internal import CHDF5

/// A dataset in an HDF5 file: a shape, an element type, elements and attributes.
///
/// The shape and element type are read when the dataset is looked up; the elements are read by ``read()``,
/// which checks the size against the file's ``HDF5Limits`` and the storage against the file's size first.
public struct HDF5Dataset: Sendable {
    let location: ObjectLocation

    /// The extent of each dimension: `[]` for a scalar dataset, and any extent may be 0.
    public let shape: [Int]

    /// The type of the elements, as the file stores them.
    public let elementType: HDF5ElementType

    init(location: ObjectLocation, shape: [Int], elementType: HDF5ElementType) {
        self.location = location
        self.shape = shape
        self.elementType = elementType
    }

    /// The path of the file the dataset is in.
    public var filePath: String { location.file.path }

    /// The dataset's absolute path in the file, such as `/cases/abc/input`.
    public var path: String { location.path }

    /// The number of elements: the product of ``shape``, 1 for a scalar.
    public var count: Int { shape.reduce(1, *) }

    /// The dataset's attributes.
    public var attributes: HDF5Attributes { HDF5Attributes(location: location, ownerKind: .dataset) }

    /// Reads every element, in row-major order, into the storage that ``elementType`` maps to.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/unsupported`` for element types without an
    ///   ``HDF5ElementType/arrayKind``, ``HDF5Error/Kind/limitExceeded`` when the elements or one chunk
    ///   would take more than ``HDF5Limits/maximumReadBytes``, ``HDF5Error/Kind/malformed`` when the
    ///   storage does not fit the shape or the file, and ``HDF5Error/Kind/libraryFailure`` when libhdf5
    ///   fails to read, as on a corrupt compressed chunk.
    public func read() throws(HDF5Error) -> HDF5Array {
        try read(expecting: nil)
    }

    /// Reads every element, which must read as `kind`.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/typeMismatch`` unless ``elementType`` maps to
    ///   `kind`, and any error of ``read()``.
    public func read(as kind: HDF5Array.Kind) throws(HDF5Error) -> HDF5Array {
        try read(expecting: kind)
    }

    /// Reads every element as a string.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/typeMismatch`` unless the elements are strings.
    public func readStrings() throws(HDF5Error) -> [String] {
        guard case .strings(let strings) = try read(expecting: .string).storage else {
            preconditionFailure("a string read returned other storage")
        }
        return strings
    }

    private func read(expecting kind: HDF5Array.Kind?) throws(HDF5Error) -> HDF5Array {
        try Library.call { () throws(HDF5Error) -> HDF5Array in
            let datasetID = try location.openObject(expecting: .dataset)
            defer { _ = H5Oclose(datasetID) }
            return try location.readElements(from: .dataset(datasetID), expecting: kind)
        }
    }
}
