/// The kind of object a link in a group leads to.
public enum HDF5ObjectKind: Hashable, Sendable, CustomStringConvertible {
    /// A group of links.
    case group
    /// A dataset of elements.
    case dataset
    /// A datatype stored as an object of its own, which this module lists but does not read.
    case namedDatatype

    public var description: String {
        switch self {
        case .group: "group"
        case .dataset: "dataset"
        case .namedDatatype: "named datatype"
        }
    }
}
