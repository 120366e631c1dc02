internal import CHDF5

/// A group in an HDF5 file: named links to groups and datasets, and attributes.
///
/// Member names may be paths: `group("cases/abc")` opens `abc` in `cases`, and a name that starts with `/`
/// is resolved from the root. Soft links are followed; external links are refused.
public struct HDF5Group: Sendable {
    let location: ObjectLocation

    init(location: ObjectLocation) {
        self.location = location
    }

    /// The path of the file the group is in.
    public var filePath: String { location.file.path }

    /// The group's absolute path in the file, such as `/` or `/cases/abc`.
    public var path: String { location.path }

    /// The group's attributes.
    public var attributes: HDF5Attributes { HDF5Attributes(location: location, ownerKind: .group) }

    /// The names of the group's links, sorted by the bytes of their UTF-8 encoding.
    ///
    /// The list includes soft and external links, even those that lead nowhere.
    public func memberNames() throws(HDF5Error) -> [String] {
        try Library.call { () throws(HDF5Error) -> [String] in
            let groupID = try location.openObject(expecting: .group)
            defer { _ = H5Oclose(groupID) }
            var info = H5G_info_t()
            guard H5Gget_info(groupID, &info) >= 0 else {
                throw location.libraryError(.libraryFailure, "cannot read the group's link count")
            }
            return try location.names(count: info.nlinks, of: "link") { callback, context in
                // Native order walks the name index without building a sorted table; `names` sorts.
                H5Literate(
                    groupID, H5_INDEX_NAME, H5_ITER_NATIVE, nil,
                    unsafeBitCast(callback, to: H5L_iterate_t.self), context)
            }
        }
    }

    /// The kind of object that the member `name` leads to, or `nil` if there is no such member.
    ///
    /// - Throws: ``HDF5Error`` when the link exists but cannot be resolved: a dangling soft link, or an
    ///   external link.
    public func memberKind(_ name: String) throws(HDF5Error) -> HDF5ObjectKind? {
        let member = try location.member(name)
        return try Library.call { () throws(HDF5Error) -> HDF5ObjectKind? in try member.objectKind() }
    }

    /// The group `name`.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/notFound`` if there is no such member, and
    ///   ``HDF5Error/Kind/wrongObjectKind`` if it is not a group.
    public func group(_ name: String) throws(HDF5Error) -> HDF5Group {
        let member = try location.member(name)
        try Library.call { () throws(HDF5Error) in
            _ = H5Oclose(try member.openObject(expecting: .group))
        }
        return HDF5Group(location: member)
    }

    /// The dataset `name`, with its shape and element type.
    ///
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/notFound`` if there is no such member,
    ///   ``HDF5Error/Kind/wrongObjectKind`` if it is not a dataset, and ``HDF5Error/Kind/malformed`` if its
    ///   dataspace is unreadable or its shape holds more than `Int.max` elements.
    public func dataset(_ name: String) throws(HDF5Error) -> HDF5Dataset {
        let member = try location.member(name)
        let (shape, elementType) = try Library.call {
            () throws(HDF5Error) -> (shape: [Int], elementType: HDF5ElementType) in
            let datasetID = try member.openObject(expecting: .dataset)
            defer { _ = H5Oclose(datasetID) }
            return try member.inspect(.dataset(datasetID))
        }
        return HDF5Dataset(location: member, shape: shape, elementType: elementType)
    }
}
