/// The type of a dataset's or attribute's elements, as the file stores it.
public enum HDF5ElementType: Hashable, Sendable, CustomStringConvertible {
    /// An IEEE binary floating-point number of 16, 32 or 64 bits, in either byte order.
    case float(bits: Int)
    /// A two's complement integer of 8, 16, 32 or 64 bits, in either byte order.
    case signedInteger(bits: Int)
    /// An unsigned integer of 8, 16, 32 or 64 bits, in either byte order.
    case unsignedInteger(bits: Int)
    /// A variable-length string, as h5py writes Python strings.
    case variableLengthString
    /// A fixed-length string of `bytes` bytes, padded with NUL bytes or spaces.
    case fixedLengthString(bytes: Int)
    /// A type this module does not read, such as a compound, an enum (numpy bool) or a 128-bit float.
    case unsupported(String)

    /// The storage an ``HDF5Array`` of these elements uses, or `nil` if the type is not supported.
    ///
    /// Signed integers of every width, and unsigned integers of 8 and 32 bits, widen to `Int64`; 16-bit and
    /// 64-bit unsigned integers keep their type. 16-bit floats keep their bits.
    public var arrayKind: HDF5Array.Kind? {
        switch self {
        case .float(bits: 16): .float16Bits
        case .float(bits: 32): .float32
        case .float(bits: 64): .float64
        case .signedInteger(bits: 8), .signedInteger(bits: 16), .signedInteger(bits: 32),
            .signedInteger(bits: 64):
            .int64
        case .unsignedInteger(bits: 8), .unsignedInteger(bits: 32): .int64
        case .unsignedInteger(bits: 16): .uint16
        case .unsignedInteger(bits: 64): .uint64
        case .variableLengthString, .fixedLengthString: .string
        case .float, .signedInteger, .unsignedInteger, .unsupported: nil
        }
    }

    public var description: String {
        switch self {
        case .float(let bits): "\(bits)-bit float"
        case .signedInteger(let bits): "\(bits)-bit signed integer"
        case .unsignedInteger(let bits): "\(bits)-bit unsigned integer"
        case .variableLengthString: "variable-length string"
        case .fixedLengthString(let bytes): "fixed-length string of \(bytes) bytes"
        case .unsupported(let name): name
        }
    }
}
