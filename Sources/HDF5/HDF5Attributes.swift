internal import CHDF5

/// The attributes of a group or dataset.
///
/// ```swift
/// let eps = try group.attributes.double("eps")
/// let hasVar = try group.attributes.contains("var_scalar")
/// ```
public struct HDF5Attributes: Sendable {
    let location: ObjectLocation
    let ownerKind: HDF5ObjectKind

    init(location: ObjectLocation, ownerKind: HDF5ObjectKind) {
        self.location = location
        self.ownerKind = ownerKind
    }

    /// The names of the attributes, sorted by the bytes of their UTF-8 encoding.
    public func names() throws(HDF5Error) -> [String] {
        try Library.call { () throws(HDF5Error) -> [String] in
            let objectID = try location.openObject(expecting: ownerKind)
            defer { _ = H5Oclose(objectID) }
            var info = H5O_info_t()
            guard H5Oget_info2(objectID, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else {
                throw location.libraryError(.libraryFailure, "cannot read the attribute count")
            }
            return try location.names(count: info.num_attrs, of: "attribute") { callback, context in
                H5Aiterate2(
                    objectID, H5_INDEX_NAME, H5_ITER_NATIVE, nil,
                    unsafeBitCast(callback, to: H5A_operator2_t.self), context)
            }
        }
    }

    /// Whether there is an attribute `name`.
    public func contains(_ name: String) throws(HDF5Error) -> Bool {
        let attribute = try location.attribute(name)
        return try Library.call { () throws(HDF5Error) -> Bool in
            let objectID = try location.openObject(expecting: ownerKind)
            defer { _ = H5Oclose(objectID) }
            let exists = H5Aexists(objectID, name)
            guard exists >= 0 else {
                throw attribute.libraryError(.libraryFailure, "cannot tell whether the attribute exists")
            }
            return exists > 0
        }
    }

    /// The elements of the attribute `name`, with its shape, as a dataset's would read.
    public func array(_ name: String) throws(HDF5Error) -> HDF5Array {
        try read(name).array
    }

    /// The value of the attribute `name`.
    ///
    /// A scalar attribute gives `.int`, `.float` or `.string`; any other gives the array cases.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/notFound`` if there is no such attribute,
    ///   ``HDF5Error/Kind/unsupported`` if its type is not supported or a 64-bit unsigned value does not
    ///   fit in `Int64`, and any error of ``HDF5Dataset/read()``.
    public func value(_ name: String) throws(HDF5Error) -> HDF5Value {
        let (array, attribute) = try read(name)
        let scalar = array.shape.isEmpty
        switch array.storage {
        case .float16Bits(let bits):
            return floats(bits.map(doubleFromFloat16Bits), scalar: scalar)
        case .float32(let values):
            return floats(values.map(Double.init), scalar: scalar)
        case .float64(let values):
            return floats(values, scalar: scalar)
        case .int64(let values):
            return ints(values, scalar: scalar)
        case .uint16(let values):
            return ints(values.map(Int64.init), scalar: scalar)
        case .uint64(let values):
            var converted: [Int64] = []
            for value in values {
                guard let value = Int64(exactly: value) else {
                    throw attribute.error(.unsupported, "the unsigned value \(value) does not fit in Int64")
                }
                converted.append(value)
            }
            return ints(converted, scalar: scalar)
        case .strings(let values):
            return scalar ? .string(values[0]) : .strings(values)
        }
    }

    /// The value of the scalar string attribute `name`.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/typeMismatch`` unless it is a scalar string.
    public func string(_ name: String) throws(HDF5Error) -> String {
        let value = try value(name)
        guard case .string(let string) = value else {
            throw try location.attribute(name).error(.typeMismatch, "expected a string, found \(value.kindDescription)")
        }
        return string
    }

    /// The value of the scalar integer attribute `name`.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/typeMismatch`` unless it is a scalar integer.
    public func int64(_ name: String) throws(HDF5Error) -> Int64 {
        let value = try value(name)
        guard case .int(let integer) = value else {
            throw try location.attribute(name).error(
                .typeMismatch, "expected an integer, found \(value.kindDescription)")
        }
        return integer
    }

    /// The value of the scalar float attribute `name`, widened to `Double`.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/typeMismatch`` unless it is a scalar float; an
    ///   integer attribute does not convert.
    public func double(_ name: String) throws(HDF5Error) -> Double {
        let value = try value(name)
        guard case .float(let float) = value else {
            throw try location.attribute(name).error(.typeMismatch, "expected a float, found \(value.kindDescription)")
        }
        return float
    }

    private func floats(_ values: [Double], scalar: Bool) -> HDF5Value {
        scalar ? .float(values[0]) : .floats(values)
    }

    private func ints(_ values: [Int64], scalar: Bool) -> HDF5Value {
        scalar ? .int(values[0]) : .ints(values)
    }

    private func read(_ name: String) throws(HDF5Error) -> (array: HDF5Array, attribute: ObjectLocation) {
        let attribute = try location.attribute(name)
        let array = try Library.call { () throws(HDF5Error) -> HDF5Array in
            let objectID = try location.openObject(expecting: ownerKind)
            defer { _ = H5Oclose(objectID) }
            let exists = H5Aexists(objectID, name)
            guard exists >= 0 else {
                throw attribute.libraryError(.libraryFailure, "cannot tell whether the attribute exists")
            }
            guard exists > 0 else {
                throw attribute.error(.notFound, "no such attribute")
            }
            let attributeID = H5Aopen(objectID, name, chdf5_p_default())
            guard attributeID >= 0 else {
                throw attribute.libraryError(.libraryFailure, "cannot open the attribute")
            }
            defer { _ = H5Aclose(attributeID) }
            return try attribute.readElements(from: .attribute(attributeID), expecting: nil)
        }
        return (array, attribute)
    }
}
