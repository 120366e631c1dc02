/// A dense, row-major tensor of one floating dtype.
///
/// Elements are stored as `Double`, which holds every value of every ``DType`` exactly; the
/// initializers round to the dtype, so a tensor never holds a value its dtype cannot represent.
public struct Tensor: Sendable, Equatable {
    /// The element type.
    public let dtype: DType
    /// The extents.
    public let shape: Shape
    /// The elements in row-major order, each a value of `dtype`.
    public private(set) var values: [Double]

    /// Makes a tensor from values, rounding each one to the dtype (ties to even).
    ///
    /// Throws when the shape is invalid or does not match the number of values.
    public init(dtype: DType, shape: Shape, values: [Double]) throws(ShapeError) {
        let count = try shape.elementCount()
        guard count == values.count else {
            throw .elementCountMismatch(shape: shape.dims, expected: count, actual: values.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.values = dtype == .float64 ? values : values.map(dtype.round)
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
    /// The elements as little-endian IEEE bytes in row-major order (bfloat16: the upper half of a float32).
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
        }
        return bytes
    }

    /// Decodes little-endian IEEE bytes; throws when the byte count does not match the shape.
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
            }
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

    public var description: String {
        switch self {
        case .shape(let error): error.description
        case .byteCount(let expected, let actual, let dtype, let shape):
            if let expected {
                "a \(dtype) tensor of shape \(shape) needs \(expected) bytes, but \(actual) were given"
            } else {
                "a \(dtype) tensor of shape \(shape) needs more bytes than fit in a 64-bit count"
            }
        }
    }
}
