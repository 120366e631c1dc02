/// A dense, row-major tensor of one dtype.
///
/// Elements are stored as `Double`, which holds every value of every floating ``DType`` exactly, and every
/// integer up to 2^53 in magnitude; the initializers round to a floating dtype and refuse a value that is not
/// an element of an integer dtype or bool, so a tensor never holds a value its dtype cannot represent.
public struct Tensor: Sendable, Equatable {
    /// The element type.
    public let dtype: DType
    /// The extents.
    public let shape: Shape
    /// The elements in row-major order, each a value of `dtype`.
    public private(set) var values: [Double]

    /// The largest magnitude an integer element may have: 2^53, below which every integer is a `Double`.
    public static let integerLimit: Double = 0x1p53

    /// Makes a tensor from values, rounding each one to a floating dtype (ties to even).
    ///
    /// Throws when the shape is invalid or does not match the number of values, or when a value is not an
    /// element of an integer dtype (an integer of its range, at most 2^53 in magnitude) or of bool (0 or 1).
    public init(dtype: DType, shape: Shape, values: [Double]) throws(ShapeError) {
        let count = try shape.elementCount()
        guard count == values.count else {
            throw .elementCountMismatch(shape: shape.dims, expected: count, actual: values.count)
        }
        if !dtype.isFloatingPoint, let index = values.firstIndex(where: { !Self.isElement($0, of: dtype) }) {
            throw .invalidElement(dtype: dtype, index: index, value: values[index])
        }
        self.dtype = dtype
        self.shape = shape
        self.values = dtype == .float64 || !dtype.isFloatingPoint ? values : values.map(dtype.round)
    }

    /// Whether a value is an element of an integer dtype or bool that a tensor can hold (any value is one of a
    /// floating dtype's, after rounding). −0.0 is no integer's value: a cast gives +0.
    static func isElement(_ value: Double, of dtype: DType) -> Bool {
        guard !dtype.isFloatingPoint else { return true }
        guard value == value.rounded(.towardZero), !(value == 0 && value.sign == .minus) else { return false }
        switch dtype {
        case .bool: return value == 0 || value == 1
        case .int32: return value >= -0x1p31 && value < 0x1p31
        default: return abs(value) <= integerLimit
        }
    }

    /// Makes a tensor from values that are already values of `dtype`; the caller guarantees the count.
    init(uncheckedDType dtype: DType, shape: Shape, values: [Double]) {
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    /// A 0-d tensor.
    public static func scalar(_ value: Double, dtype: DType) -> Tensor {
        Tensor(uncheckedDType: dtype, shape: [], values: [dtype.round(value)])
    }

    /// A tensor filled with one value.
    public static func filled(_ value: Double, dtype: DType, shape: Shape) throws(ShapeError) -> Tensor {
        let count = try shape.elementCount()
        return Tensor(
            uncheckedDType: dtype, shape: shape, values: [Double](repeating: dtype.round(value), count: count))
    }

    /// The number of elements.
    public var elementCount: Int { values.count }

    /// The same elements converted to another dtype (rounding when it is narrower).
    public func converted(to newType: DType) -> Tensor {
        if newType == dtype { return self }
        return Tensor(uncheckedDType: newType, shape: shape, values: values.map(newType.round))
    }

    /// The same elements with another shape of the same element count.
    public func reshaped(_ newShape: Shape) throws(ShapeError) -> Tensor {
        try Tensor(dtype: dtype, shape: newShape, values: values)
    }

    /// Compares bit patterns in the tensor's dtype, so that NaN equals NaN and 0.0 differs from -0.0.
    public func isBitwiseIdentical(to other: Tensor) -> Bool {
        guard dtype == other.dtype, shape == other.shape else { return false }
        for (a, b) in zip(values, other.values) where a.bitPattern != b.bitPattern {
            if a.isNaN && b.isNaN { continue }
            return false
        }
        return true
    }
}

// MARK: - Little-endian bytes

extension Tensor {
    /// The elements as little-endian bytes in row-major order: IEEE for the floating dtypes (bfloat16: the upper
    /// half of a float32), two's complement for the integer types, one byte 0 or 1 for bool.
    public var littleEndianBytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * dtype.byteWidth)
        switch dtype {
        case .float16:
            for value in values { Self.append(Float16(value).bitPattern, to: &bytes) }
        case .bfloat16:
            for value in values { Self.append(BFloat16Bits.make(Float(value)), to: &bytes) }
        case .float32:
            for value in values { Self.append(Float(value).bitPattern, to: &bytes) }
        case .float64:
            for value in values { Self.append(value.bitPattern, to: &bytes) }
        case .int32:
            for value in values { Self.append(Int32(value), to: &bytes) }
        case .int64:
            for value in values { Self.append(Int64(value), to: &bytes) }
        case .bool:
            for value in values { bytes.append(value == 0 ? 0 : 1) }
        }
        return bytes
    }

    /// Decodes little-endian bytes (see ``littleEndianBytes``); throws when the byte count does not match the
    /// shape, or an element is not one a tensor of the dtype holds (a bool byte other than 0 and 1, an int64
    /// beyond 2^53 in magnitude).
    public init(dtype: DType, shape: Shape, littleEndianBytes bytes: [UInt8]) throws(TensorDecodingError) {
        let count: Int
        do { count = try shape.elementCount() } catch { throw .shape(error) }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow, byteCount == bytes.count else {
            throw .byteCount(expected: overflow ? nil : byteCount, actual: bytes.count, dtype: dtype, shape: shape)
        }
        var values = [Double]()
        values.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .float16:
                for index in 0..<count {
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                    values.append(Double(Float16(bitPattern: bits)))
                }
            case .bfloat16:
                for index in 0..<count {
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                    values.append(BFloat16Bits.value(bits))
                }
            case .float32:
                for index in 0..<count {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                    values.append(Double(Float(bitPattern: bits)))
                }
            case .float64:
                for index in 0..<count {
                    let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
                    values.append(Double(bitPattern: bits))
                }
            case .int32:
                for index in 0..<count {
                    values.append(
                        Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self))))
                }
            case .int64:
                for index in 0..<count {
                    let value = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self))
                    // Values beyond 2^53 become a double that fails the element check below.
                    values.append(value.magnitude > UInt64(1) << 53 ? .infinity : Double(value))
                }
            case .bool:
                for index in 0..<count { values.append(Double(raw[index])) }
            }
        }
        if !dtype.isFloatingPoint, let index = values.firstIndex(where: { !Self.isElement($0, of: dtype) }) {
            throw .element(dtype: dtype, index: index, byteOffset: index * dtype.byteWidth)
        }
        self.init(uncheckedDType: dtype, shape: shape, values: values)
    }

    private static func append<T: FixedWidthInteger>(_ bits: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Bytes that do not decode to a tensor of the stated dtype and shape.
public enum TensorDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    case shape(ShapeError)
    case byteCount(expected: Int?, actual: Int, dtype: DType, shape: Shape)
    /// An element that is not a value of an integer dtype or bool the suite holds.
    case element(dtype: DType, index: Int, byteOffset: Int)

    public var description: String {
        switch self {
        case .shape(let error): error.description
        case .byteCount(let expected, let actual, let dtype, let shape):
            if let expected {
                "a \(dtype) tensor of shape \(shape) needs \(expected) bytes, but \(actual) were given"
            } else {
                "a \(dtype) tensor of shape \(shape) needs more bytes than fit in a 64-bit count"
            }
        case .element(let dtype, let index, let byteOffset):
            "element \(index) (at byte \(byteOffset)) is not \(dtype.elementDescription)"
        }
    }
}
