/// Bounds on what reading one HDF5 file may allocate.
///
/// Every read checks, with overflow-checked arithmetic and before allocating anything, that the element
/// count times the element size fits within ``maximumReadBytes``. A malformed or hostile file therefore
/// produces an ``HDF5Error`` of kind ``HDF5Error/Kind/limitExceeded`` rather than an unbounded allocation.
public struct HDF5Limits: Hashable, Sendable {
    /// The most bytes one read may allocate, and the largest chunk a chunked dataset may declare.
    ///
    /// The default is 1 GiB.
    public var maximumReadBytes: Int

    /// The most links one group, or attributes one object, may hold for their names to be listed.
    ///
    /// The default is 1,048,576.
    public var maximumMemberCount: Int

    /// Creates limits.
    public init(maximumReadBytes: Int = 1 << 30, maximumMemberCount: Int = 1 << 20) {
        precondition(maximumReadBytes >= 0 && maximumMemberCount >= 0, "limits must not be negative")
        self.maximumReadBytes = maximumReadBytes
        self.maximumMemberCount = maximumMemberCount
    }

    /// The default limits: 1 GiB per read and 1,048,576 names per listing.
    public static var `default`: HDF5Limits { HDF5Limits() }
}
