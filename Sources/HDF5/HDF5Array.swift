/// The elements of a dataset or attribute, in row-major order, with their shape.
public struct HDF5Array: Hashable, Sendable {
    /// The elements, in the Swift type that holds the file's element type without loss.
    public enum Storage: Hashable, Sendable {
        /// IEEE binary16 values, as their bit patterns.
        case float16Bits([UInt16])
        /// IEEE binary32 values.
        case float32([Float])
        /// IEEE binary64 values.
        case float64([Double])
        /// Signed integers of any width, and 8-bit and 32-bit unsigned integers, widened.
        case int64([Int64])
        /// 16-bit unsigned integers, such as bfloat16 values stored as their bits.
        case uint16([UInt16])
        /// 64-bit unsigned integers.
        case uint64([UInt64])
        /// Strings, variable-length or fixed-length, decoded as UTF-8.
        case strings([String])

        /// The number of elements.
        public var count: Int {
            switch self {
            case .float16Bits(let values): values.count
            case .float32(let values): values.count
            case .float64(let values): values.count
            case .int64(let values): values.count
            case .uint16(let values): values.count
            case .uint64(let values): values.count
            case .strings(let values): values.count
            }
        }

        /// Which case this is.
        public var kind: Kind {
            switch self {
            case .float16Bits: .float16Bits
            case .float32: .float32
            case .float64: .float64
            case .int64: .int64
            case .uint16: .uint16
            case .uint64: .uint64
            case .strings: .string
            }
        }
    }

    /// The cases of ``Storage``, without their elements.
    public enum Kind: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// ``Storage/float16Bits(_:)``.
        case float16Bits
        /// ``Storage/float32(_:)``.
        case float32
        /// ``Storage/float64(_:)``.
        case float64
        /// ``Storage/int64(_:)``.
        case int64
        /// ``Storage/uint16(_:)``.
        case uint16
        /// ``Storage/uint64(_:)``.
        case uint64
        /// ``Storage/strings(_:)``.
        case string

        public var description: String {
            switch self {
            case .float16Bits: "float16"
            case .float32: "float32"
            case .float64: "float64"
            case .int64: "int64"
            case .uint16: "uint16"
            case .uint64: "uint64"
            case .string: "string"
            }
        }
    }

    /// The extent of each dimension; `[]` for a scalar, and any extent may be 0.
    public var shape: [Int]
    /// The elements, `shape`'s product of them.
    public var storage: Storage

    /// Creates an array.
    ///
    /// - Precondition: `storage` holds as many elements as the product of `shape`.
    public init(shape: [Int], storage: Storage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "extents must not be negative")
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements.
    public var count: Int { storage.count }
}
